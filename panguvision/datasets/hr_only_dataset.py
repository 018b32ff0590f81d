"""HR-only image sets (LSDIR, DIV2K, FFHQ, ...) and a wrapper that gives every sample its own seed, for LQ images made
on the fly (:class:`panguvision.datasets.transforms.RealESRGANDegradation`)."""
import copy
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from panguvision.registry import DATASETS
from .sr_dataset import IMG_EXTENSIONS, build_pipeline

__all__ = ['HRImageFolderDataset', 'SeededSampleDataset', 'sample_seed']


@DATASETS.register_module()
class HRImageFolderDataset(BaseDataset):
    """Every image under ``data_root/data_prefix['gt']``, searched recursively, sorted by relative path.

    Covers the layouts of the real-world SR training sets: ``DIV2K_train_HR/0001.png`` (flat), LSDIR's
    ``train/0001000/0000001.png`` (sub-folders of 1000) and FFHQ's ``images1024x1024/00000/00000.png`` (or flat
    ``ffhq/00000.png``). With ``ann_file`` only the images it lists (one relative path per line, ``#`` comments) are
    used. Data infos: ``{'img_id', 'gt_path', 'lq_path': None, 'scale'}``; ``img_id`` is the relative path without
    extension.

    Args:
        data_root: dataset root.
        data_prefix: ``dict(gt=folder)``.
        ann_file: optional list file, relative to ``data_root``.
        scale: SR factor stored in each data info.
        max_images: keep only the first ``max_images`` images (after sorting).
        metainfo: extra dataset meta; ``scale`` is added.
        **kwargs: the other :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``test_mode``, ...).
    """
    METAINFO = dict(task='super-resolution')

    def __init__(self,
                 data_root: str = '',
                 data_prefix: dict = dict(gt=''),
                 ann_file: str = '',
                 scale: int = 4,
                 max_images: Optional[int] = None,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if 'gt' not in data_prefix:
            raise KeyError(f'HRImageFolderDataset needs data_prefix["gt"], got data_prefix={data_prefix!r}')
        self.scale = int(scale)
        self.max_images = max_images
        kwargs['pipeline'] = build_pipeline(kwargs.get('pipeline', []))
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file,
                         metainfo=dict(metainfo or {}, scale=self.scale), **kwargs)

    def _listed(self, root: str) -> List[str]:
        names = []
        with open(self.ann_file, encoding='utf-8') as f:
            for line_no, line in enumerate(f, 1):
                name = line.split('#', 1)[0].strip()
                if not name:
                    continue
                if not osp.isfile(osp.join(root, name)):
                    raise FileNotFoundError(f'{self.ann_file}:{line_no}: image {name!r} not found under {root!r}')
                names.append(name)
        return names

    def _scanned(self, root: str) -> List[str]:
        names = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames.sort()
            for name in filenames:
                if osp.splitext(name)[1].lower() in IMG_EXTENSIONS:
                    names.append(osp.relpath(osp.join(dirpath, name), root))
        return sorted(names)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix['gt']
        if not osp.isdir(root):
            raise FileNotFoundError(f'HR folder {root!r} does not exist (expected a folder of '
                                    f'{"/".join(e[1:] for e in IMG_EXTENSIONS)} images, searched recursively)')
        names = self._listed(root) if self.ann_file else self._scanned(root)
        if self.max_images is not None:
            names = names[:int(self.max_images)]
        if not names:
            raise FileNotFoundError(f'HR folder {root!r} holds no image ({IMG_EXTENSIONS}), searched recursively')
        return [
            dict(img_id=osp.splitext(name)[0].replace(os.sep, '/'), gt_path=osp.join(root, name), lq_path=None,
                 scale=self.scale) for name in names
        ]


def sample_seed(seed: int, index: int) -> int:
    """The seed of sample ``index`` of a dataset seeded with ``seed`` (a 32-bit integer from numpy's SeedSequence,
    so nearby indices give unrelated streams)."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


@DATASETS.register_module()
class SeededSampleDataset:
    """Wrap a dataset of images so that sample ``i`` is image ``i % len(dataset)`` with its own seed.

    Each data info gets ``sample_idx = i`` and ``sample_seed = sample_seed(seed, i)`` before this wrapper's
    ``pipeline`` runs; the seeded transforms (``RandomHRCrop``, ``RealESRGANDegradation``) draw only from it, so item
    ``i`` is the same in every run, with any number of data-loader workers. ``num_samples`` larger than the wrapped
    dataset gives every image many different crops and degradations per "epoch" (with an ``InfiniteSampler`` the
    sampler's shuffle picks which); a fixed ``seed`` with ``num_samples=None`` gives a fixed degraded test set.

    Args:
        dataset: the wrapped dataset (config or object), without a pipeline of its own (e.g.
            :class:`HRImageFolderDataset`, :class:`BuiltinPhotoDataset`); its items must carry ``gt`` or ``gt_path``.
        pipeline: transforms run on each seeded data info.
        num_samples: length of this dataset; ``None`` means the wrapped dataset's length.
        seed: base seed.
        test_mode: stored for mmengine (the wrapper behaves the same).
        lazy_init: build the wrapped dataset's data list only on first use.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 num_samples: Optional[int] = None,
                 seed: int = 0,
                 test_mode: bool = False,
                 lazy_init: bool = False) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.pipeline = build_pipeline(pipeline)
        self.num_samples = num_samples
        self.seed = int(seed)
        self.test_mode = test_mode
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dataset.full_init()
        if len(self.dataset) == 0:
            raise ValueError(f'SeededSampleDataset: the wrapped {type(self.dataset).__name__} is empty')
        if self.num_samples is not None and int(self.num_samples) < 1:
            raise ValueError(f'SeededSampleDataset: num_samples must be >= 1, got {self.num_samples}')
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return int(self.num_samples) if self.num_samples is not None else len(self.dataset)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The wrapped data info of sample ``idx`` with ``sample_idx`` and ``sample_seed`` added."""
        if not 0 <= idx < len(self):
            raise IndexError(f'SeededSampleDataset index {idx} out of range [0, {len(self)})')
        info = self.dataset.get_data_info(idx % len(self.dataset))
        info.update(sample_idx=idx, sample_seed=sample_seed(self.seed, idx))
        return info

    def __getitem__(self, idx: int) -> dict:
        results = self.get_data_info(idx)
        for transform in self.pipeline:
            results = transform(results)
            if results is None:
                raise RuntimeError(f'SeededSampleDataset: transform {transform!r} dropped sample {idx}')
        return results
