"""Super-resolution datasets: paired HR/LR folders, and real photographs bundled with scikit-image.

Every dataset yields data infos ``{'img_id', 'gt_path', 'lq_path', 'scale'}`` (paths are ``str`` or ``None``), read by
the ``LoadSRImages`` transform. A ``None`` ``lq_path`` means the pipeline makes the LQ image from the GT one
(``ModCrop`` + ``BicubicDegrade``, or the real-world ``RealESRGANDegradation``). The real-world test sets (RealSR,
DRealSR, DIV2K-Val crops) are ``PairedImageDataset`` layouts (:data:`SR_LAYOUTS`).
"""
import glob
import os
import os.path as osp
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset

from panguvision.registry import DATASETS, TRANSFORMS
from panguvision.utils.image_io import write_image

__all__ = [
    'IMG_EXTENSIONS', 'BUILTIN_PHOTO_SPLITS', 'SR_LAYOUTS', 'BuiltinPhotoDataset', 'PairedImageDataset',
    'build_pipeline'
]

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def build_pipeline(pipeline: Sequence[Union[dict, Callable]]) -> List[Callable]:
    """Build transform configs with PanguVision's ``TRANSFORMS``, so the datasets work without a default scope
    (outside a Runner); built transforms and callables pass through."""
    return [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]


def _list_images(folder: str, role: str) -> Dict[str, str]:
    """``{stem: filename}`` of the images (by extension, case-insensitive) directly in ``folder``."""
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{role} folder {folder!r} does not exist (expected a directory of '
                                f'{"/".join(ext[1:] for ext in IMG_EXTENSIONS)} images)')
    images = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS:
            images.setdefault(stem, name)
    return images


# Folder layouts of the real-world SR test sets; '{scale}' is filled in with the dataset's scale. Glob characters in
# data_prefix['gt'] match several folders (RealSR's cameras); the LQ files then sit next to their GT files.
SR_LAYOUTS: Dict[str, dict] = dict(
    # RealSR (V3): Canon/Test/4/Canon_001_HR.png + Canon/Test/4/Canon_001_LR4.png, Nikon/Test/4/...
    realsr=dict(data_prefix=dict(gt='*/Test/{scale}', lq='*/Test/{scale}'),
                filename_tmpl=dict(gt='{}_HR', lq='{}_LR{scale}')),
    # DRealSR: Test_x4/test_HR/DSC_1454_x1.png + Test_x4/test_LR/DSC_1454_x4.png (for the re-cropped releases with
    # identical names in both folders, pass filename_tmpl=dict(gt='{}', lq='{}')).
    drealsr=dict(data_prefix=dict(gt='Test_x{scale}/test_HR', lq='Test_x{scale}/test_LR'),
                 filename_tmpl=dict(gt='{}_x1', lq='{}_x{scale}')),
    # DIV2K-Val crops of the diffusion-SR papers (StableSR's DIV2K_V2_val): gt/0000000.png + lq/0000000.png.
    div2k_val_crops=dict(data_prefix=dict(gt='gt', lq='lq'), filename_tmpl=dict(gt='{}', lq='{}')),
)
_GLOB_CHARS = ('*', '?', '[')


def _template_regex(tmpl: str, key: str) -> re.Pattern:
    """``'{}_HR'`` -> a regex matching ``'Canon_001_HR'`` with the ``{}`` part as group 1."""
    if tmpl.count('{}') != 1:
        raise ValueError(f'filename_tmpl["{key}"]={tmpl!r} must contain exactly one "{{}}" (the image key)')
    head, tail = tmpl.split('{}')
    return re.compile(f'^{re.escape(head)}(.+?){re.escape(tail)}$')


@DATASETS.register_module()
class PairedImageDataset(BaseDataset):
    """HR images with their (optional) LR partners, in the DIV2K / Set5 / Set14 / B100 / Urban100 / Manga109 folder
    layouts and the real-world ones (RealSR, DRealSR, DIV2K-Val crops: ``layout=``, see :data:`SR_LAYOUTS`).

    The GT images are those in ``data_root/data_prefix['gt']`` whose stem matches ``filename_tmpl['gt']`` (``'{}'``:
    all; ``'{}_HR'``: ``Canon_001_HR.png`` with key ``Canon_001``); for a GT key the LQ image is
    ``data_root/data_prefix['lq']/{filename_tmpl['lq'].format(key)}.{ext}`` (any image extension). ``img_id`` is the
    key. Without ``'lq'`` in ``data_prefix`` the LQ images are made on the fly by the pipeline. A ``data_prefix['gt']``
    with glob characters matches several folders (sorted); ``data_prefix['lq']`` must then be the same pattern (LQ
    files next to the GT files).

    Examples::

        # DIV2K train: DIV2K_train_HR/0001.png + DIV2K_train_LR_bicubic/X4/0001x4.png
        PairedImageDataset(data_root='data/DIV2K', scale=4, filename_tmpl=dict(lq='{}x4'),
                           data_prefix=dict(gt='DIV2K_train_HR', lq='DIV2K_train_LR_bicubic/X4'))
        # Set5: HR/baby.png + LR_bicubic/X2/babyx2.png
        PairedImageDataset(data_root='data/Set5', scale=2, filename_tmpl=dict(lq='{}x2'),
                           data_prefix=dict(gt='HR', lq='LR_bicubic/X2'))
        # RealSR (V3), both cameras: Canon/Test/4/Canon_001_HR.png + Canon_001_LR4.png, Nikon/Test/4/...
        PairedImageDataset(data_root='data/RealSR(V3)', scale=4, layout='realsr')

    Args:
        data_root: dataset root, joined with relative ``data_prefix`` folders.
        data_prefix: ``dict(gt=..., lq=...)`` folders; ``lq`` optional. Default: the layout's, else
            ``dict(gt='HR', lq='LR_bicubic/X4')``.
        scale: integer upscaling factor (HR size / LR size).
        filename_tmpl: ``dict(gt='{}', lq='{}')``: GT and LQ file stems from the image key. Default: the layout's.
        layout: ``None`` or a key of :data:`SR_LAYOUTS` (``'realsr'``, ``'drealsr'``, ``'div2k_val_crops'``), whose
            ``data_prefix`` / ``filename_tmpl`` are used where these arguments are not given.
        metainfo: extra dataset meta; ``scale`` is added.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(task='super-resolution')

    def __init__(self,
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 scale: int = 4,
                 filename_tmpl: Optional[dict] = None,
                 layout: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        self.scale = int(scale)
        preset = dict(data_prefix=dict(gt='HR', lq='LR_bicubic/X4'), filename_tmpl=dict())
        if layout is not None:
            if layout not in SR_LAYOUTS:
                raise ValueError(f'PairedImageDataset layout must be one of {sorted(SR_LAYOUTS)}, got {layout!r}')
            preset = {k: {kk: vv.replace('{scale}', str(self.scale)) for kk, vv in v.items()}
                      for k, v in SR_LAYOUTS[layout].items()}
        data_prefix = dict(preset['data_prefix'] if data_prefix is None else data_prefix)
        if 'gt' not in data_prefix:
            raise KeyError(f'PairedImageDataset needs data_prefix["gt"], got data_prefix={data_prefix!r}')
        self.layout = layout
        self.filename_tmpl = {'gt': '{}', 'lq': '{}', **preset['filename_tmpl'], **(filename_tmpl or {})}
        self._gt_regex = _template_regex(self.filename_tmpl['gt'], 'gt')
        _template_regex(self.filename_tmpl['lq'], 'lq')
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(
            data_root=data_root, data_prefix=data_prefix, metainfo=dict(metainfo or {}, scale=self.scale), **kwargs)

    def _find_lq(self, lq_folder: str, lq_images: Dict[str, str], key: str, gt_path: str) -> str:
        lq_stem = self.filename_tmpl['lq'].format(key)
        if lq_stem not in lq_images:
            benchmark_tmpl = '{}x%d' % self.scale  # DIV2K / Set5 / ... name their LR files '{stem}x{scale}'
            hint = (f'; the folder has {lq_images[benchmark_tmpl.format(key)]!r}: use '
                    f'filename_tmpl=dict(lq={benchmark_tmpl!r})' if benchmark_tmpl.format(key) in lq_images else '')
            raise FileNotFoundError(
                f'No LQ image for GT {gt_path!r}: expected {osp.join(lq_folder, lq_stem)!r} with one of the '
                f'extensions {IMG_EXTENSIONS} (filename_tmpl["lq"]={self.filename_tmpl["lq"]!r}, scale={self.scale})'
                f'{hint}')
        return osp.join(lq_folder, lq_images[lq_stem])

    def _folder_pairs(self) -> List[Tuple[str, Optional[str]]]:
        """``[(gt_folder, lq_folder or None)]``; several when ``data_prefix['gt']`` is a glob pattern."""
        gt, lq = self.data_prefix['gt'], self.data_prefix.get('lq')
        if not any(c in gt for c in _GLOB_CHARS):
            return [(gt, lq)]
        if lq is not None and lq != gt:
            raise ValueError(f'data_prefix["gt"]={gt!r} is a glob pattern, so data_prefix["lq"] must be the same '
                             f'pattern (LQ images next to their GT), got {lq!r}')
        folders = sorted(f for f in glob.glob(gt) if osp.isdir(f))
        if not folders:
            raise FileNotFoundError(f'GT folder pattern {gt!r} matches no directory (layout={self.layout!r})')
        return [(folder, folder if lq is not None else None) for folder in folders]

    def load_data_list(self) -> List[dict]:
        data_list = []
        for gt_folder, lq_folder in self._folder_pairs():
            gt_images = {}
            for stem, name in _list_images(gt_folder, 'GT').items():
                match = self._gt_regex.match(stem)
                if match:
                    gt_images[match.group(1)] = name
            if not gt_images:
                raise FileNotFoundError(f'GT folder {gt_folder!r} holds no image ({IMG_EXTENSIONS}) named like '
                                        f'filename_tmpl["gt"]={self.filename_tmpl["gt"]!r}')
            lq_images = _list_images(lq_folder, 'LQ') if lq_folder is not None else None
            for key, gt_name in gt_images.items():
                gt_path = osp.join(gt_folder, gt_name)
                lq_path = self._find_lq(lq_folder, lq_images, key, gt_path) if lq_images is not None else None
                data_list.append(dict(img_id=key, gt_path=gt_path, lq_path=lq_path, scale=self.scale))
        return data_list


def _skimage_photo(name: str) -> np.ndarray:
    """Load one bundled scikit-image photograph as ``(H, W, 3)`` uint8 RGB (grey photos are replicated to RGB)."""
    from skimage import data as skdata  # imported lazily: only this dataset needs scikit-image
    img = skdata.stereo_motorcycle()[0] if name == 'motorcycle' else getattr(skdata, name)()
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img, dtype=np.uint8)


# Real photographs shipped inside the scikit-image wheel (no download needed), a fixed disjoint split.
# Grey photos (camera, moon) are replicated to RGB. Excluded: synthetic images (colorwheel, logo, checkerboard, ...),
# textures/micrographs of a single pattern, skimage's `cat` (an alias of `chelsea`) and the right view of
# `stereo_motorcycle` (a near-duplicate of the left one, which is `motorcycle` here).
BUILTIN_PHOTO_SPLITS: Dict[str, Tuple[str, ...]] = dict(
    train=('astronaut', 'coffee', 'hubble_deep_field', 'immunohistochemistry', 'retina', 'camera', 'moon'),
    val=('chelsea', 'rocket', 'motorcycle'),
)


@DATASETS.register_module()
class BuiltinPhotoDataset(BaseDataset):
    """Real photographs bundled with scikit-image, for smoke training / validation without any download.

    Splits (:data:`BUILTIN_PHOTO_SPLITS`): ``train`` = astronaut, coffee, hubble_deep_field, immunohistochemistry,
    retina, camera, moon (7 images); ``val`` = chelsea, rocket, motorcycle (3 images). No LQ images: the pipeline makes
    them (``ModCrop`` + ``BicubicDegrade``).

    With ``cache_dir`` the photos are written once as ``{cache_dir}/{name}.png`` (atomically with
    :func:`panguvision.utils.image_io.write_image`, so concurrent workers are safe) and data infos carry ``gt_path``;
    without it the data infos carry the image itself as ``gt`` (``(H, W, 3)`` uint8 RGB, ``gt_path=None``), which
    ``LoadSRImages`` keeps.

    Args:
        split: ``'train'`` or ``'val'``.
        scale: integer upscaling factor stored in each data info.
        cache_dir: optional folder for the PNG copies.
        metainfo: extra dataset meta; ``scale`` and ``split`` are added.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(task='super-resolution')

    def __init__(self,
                 split: str = 'train',
                 scale: int = 4,
                 cache_dir: Optional[str] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in BUILTIN_PHOTO_SPLITS:
            raise ValueError(f'BuiltinPhotoDataset split must be one of {sorted(BUILTIN_PHOTO_SPLITS)}, got {split!r}')
        self.split = split
        self.scale = int(scale)
        self.cache_dir = cache_dir
        kwargs.setdefault('data_prefix', dict())
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(metainfo=dict(metainfo or {}, scale=self.scale), **kwargs)
        # Set after construction: mmengine parses string values of ``metainfo`` as paths of meta files.
        self._metainfo['split'] = split

    def _cached_path(self, name: str) -> str:
        path = osp.join(self.cache_dir, f'{name}.png')
        if not osp.isfile(path):
            write_image(path, _skimage_photo(name))
        return path

    def load_data_list(self) -> List[dict]:
        if self.cache_dir is not None:
            os.makedirs(self.cache_dir, exist_ok=True)
        data_list = []
        for name in BUILTIN_PHOTO_SPLITS[self.split]:
            info = dict(img_id=name, gt_path=None, lq_path=None, scale=self.scale)
            if self.cache_dir is not None:
                info['gt_path'] = self._cached_path(name)
            else:
                info['gt'] = _skimage_photo(name)
            data_list.append(info)
        return data_list
