"""Image loading for super-resolution pipelines."""
from typing import Optional, Sequence

from mmcv.transforms import BaseTransform

from panguvision.registry import TRANSFORMS
from panguvision.utils.image_io import read_image

__all__ = ['LoadSRImages']


@TRANSFORMS.register_module()
class LoadSRImages(BaseTransform):
    """Read ``results['{key}_path']`` into ``results[key]`` for ``key`` in ``keys`` (``'gt'``, ``'lq'``).

    Images are returned as ``(H, W, 3)`` uint8 RGB numpy arrays (grey files are replicated to 3 channels). A ``None``
    or missing path is skipped, so an image already in ``results`` (e.g. from ``BuiltinPhotoDataset``) is kept and a
    missing LQ is left for ``BicubicDegrade``.

    Args:
        keys: which images to read.
        backend_args: mmengine file backend arguments (local disk by default).
    """

    def __init__(self, keys: Sequence[str] = ('gt', 'lq'), backend_args: Optional[dict] = None) -> None:
        self.keys = tuple(keys)
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        for key in self.keys:
            path = results.get(f'{key}_path')
            if path is not None:
                try:
                    results[key] = read_image(path, backend_args=self.backend_args)
                except (FileNotFoundError, ValueError) as err:
                    raise type(err)(f'LoadSRImages: cannot read the {key} image: {err}') from err
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys})'
