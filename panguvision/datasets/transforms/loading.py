"""Image loading for super-resolution pipelines."""
from typing import Optional, Sequence

import mmcv
from mmcv.transforms import BaseTransform
from mmengine import fileio

from panguvision.registry import TRANSFORMS

__all__ = ['LoadSRImages']


@TRANSFORMS.register_module()
class LoadSRImages(BaseTransform):
    """Read ``results['{key}_path']`` into ``results[key]`` for ``key`` in ``keys`` (``'gt'``, ``'lq'``).

    Images are returned as ``(H, W, 3)`` uint8 RGB numpy arrays (grey files are replicated to 3 channels). A ``None``
    or missing path is skipped, so an image already in ``results`` (e.g. from ``BuiltinPhotoDataset``) is kept and a
    missing LQ is left for ``BicubicDegrade``.

    Args:
        keys: which images to read.
        imdecode_backend: mmcv decoding backend (``'cv2'``, ``'pillow'``, ...).
        backend_args: mmengine file backend arguments (local disk by default).
    """

    def __init__(self,
                 keys: Sequence[str] = ('gt', 'lq'),
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.keys = tuple(keys)
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _read(self, path: str, key: str):
        try:
            img_bytes = fileio.get(path, backend_args=self.backend_args)
        except Exception as err:
            raise FileNotFoundError(f'LoadSRImages: cannot read the {key} image {path!r}: {err}') from err
        try:
            img = mmcv.imfrombytes(img_bytes, flag='color', channel_order='rgb', backend=self.imdecode_backend)
        except Exception as err:
            raise ValueError(f'LoadSRImages: cannot decode the {key} image {path!r} as an image: {err}') from err
        if img is None:
            raise ValueError(f'LoadSRImages: cannot decode the {key} image {path!r} as an image')
        return img

    def transform(self, results: dict) -> dict:
        for key in self.keys:
            path = results.get(f'{key}_path')
            if path is not None:
                results[key] = self._read(path, key)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys}, imdecode_backend={self.imdecode_backend!r})'
