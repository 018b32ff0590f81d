"""PairedImageDataset on folders written to tmp_path, and BuiltinPhotoDataset (scikit-image photographs)."""
import os

import numpy as np
import pytest

from panguvision.datasets import BUILTIN_PHOTO_SPLITS, BuiltinPhotoDataset, PairedImageDataset
from panguvision.registry import DATASETS
from panguvision.utils.image_io import write_image

LOAD_PACK = [dict(type='LoadSRImages'), dict(type='PackSRInputs')]
MAKE_LQ_PACK = [dict(type='LoadSRImages'), dict(type='ModCrop'), dict(type='BicubicDegrade'), dict(type='PackSRInputs')]


def _make_layout(root, names, scale, lq_dir='LR_bicubic/X2', lq_tmpl='{}x2', ext='.png'):
    """GT images of 16x12 (random RGB) under root/HR and their LQ (downsampled by striding) under root/lq_dir."""
    rng = np.random.default_rng(0)
    gts = {}
    for name in names:
        gt = rng.integers(0, 256, (16, 12, 3), dtype=np.uint8)
        write_image(str(root / 'HR' / f'{name}{ext}'), gt)
        if lq_dir is not None:
            write_image(str(root / lq_dir / f'{lq_tmpl.format(name)}{ext}'), gt[::scale, ::scale])
        gts[name] = gt
    return gts


def test_set5_like_layout(tmp_path):
    gts = _make_layout(tmp_path, ['bird', 'baby', 'woman'], scale=2)
    (tmp_path / 'HR' / 'notes.txt').write_text('not an image')
    dataset = DATASETS.build(
        dict(type='PairedImageDataset', data_root=str(tmp_path), scale=2, filename_tmpl=dict(lq='{}x2'),
             data_prefix=dict(gt='HR', lq='LR_bicubic/X2'), pipeline=LOAD_PACK))
    assert isinstance(dataset, PairedImageDataset)
    assert len(dataset) == 3
    assert dataset.metainfo['scale'] == 2
    info = dataset.get_data_info(0)
    assert info['img_id'] == 'baby' and info['scale'] == 2
    assert info['gt_path'] == os.path.join(str(tmp_path), 'HR', 'baby.png')
    assert info['lq_path'] == os.path.join(str(tmp_path), 'LR_bicubic/X2', 'babyx2.png')
    packed = dataset[0]
    np.testing.assert_array_equal(packed['inputs'].permute(1, 2, 0).numpy(), gts['baby'][::2, ::2])
    np.testing.assert_array_equal(packed['data_samples'].gt_img.permute(1, 2, 0).numpy(), gts['baby'])
    assert packed['data_samples'].metainfo['lq_shape'] == (8, 6)


def test_div2k_like_layout_with_other_extensions(tmp_path):
    _make_layout(tmp_path, ['0001', '0002'], scale=4, lq_dir='DIV2K_train_LR_bicubic/X4', lq_tmpl='{}x4', ext='.bmp')
    dataset = PairedImageDataset(
        data_root=str(tmp_path), scale=4, filename_tmpl=dict(lq='{}x4'),
        data_prefix=dict(gt='HR', lq='DIV2K_train_LR_bicubic/X4'))
    assert [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))] == ['0001', '0002']
    assert dataset.get_data_info(1)['lq_path'].endswith(os.path.join('X4', '0002x4.bmp'))


def test_without_lq_folder_the_pipeline_makes_lq(tmp_path):
    gts = _make_layout(tmp_path, ['img'], scale=4, lq_dir=None)
    dataset = PairedImageDataset(data_root=str(tmp_path), scale=4, data_prefix=dict(gt='HR'), pipeline=MAKE_LQ_PACK)
    assert dataset.get_data_info(0)['lq_path'] is None
    packed = dataset[0]
    assert tuple(packed['inputs'].shape) == (3, 4, 3)  # 16x12 is a multiple of 4
    assert packed['data_samples'].metainfo['lq_path'] is None
    np.testing.assert_array_equal(packed['data_samples'].gt_img.permute(1, 2, 0).numpy(), gts['img'])


def test_missing_folders_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"GT folder .*nowhere"):
        PairedImageDataset(data_root=str(tmp_path), data_prefix=dict(gt='nowhere'))
    _make_layout(tmp_path, ['a'], scale=2, lq_dir=None)
    with pytest.raises(FileNotFoundError, match=r"LQ folder .*LR_bicubic"):
        PairedImageDataset(data_root=str(tmp_path), scale=2, data_prefix=dict(gt='HR', lq='LR_bicubic/X2'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds no image'):
        PairedImageDataset(data_root=str(tmp_path), data_prefix=dict(gt='empty'))


def test_gt_without_lq_partner_names_both_files(tmp_path):
    _make_layout(tmp_path, ['a', 'b'], scale=2)
    os.remove(tmp_path / 'LR_bicubic' / 'X2' / 'bx2.png')
    with pytest.raises(FileNotFoundError, match=r"(?s)b\.png.*bx2"):
        PairedImageDataset(data_root=str(tmp_path), scale=2, filename_tmpl=dict(lq='{}x2'),
                           data_prefix=dict(gt='HR', lq='LR_bicubic/X2'))
    # The wrong template is reported, with the benchmark naming as a hint.
    with pytest.raises(FileNotFoundError, match=r"ax2\.png.*use filename_tmpl=dict\(lq='\{\}x2'\)"):
        PairedImageDataset(data_root=str(tmp_path), scale=2, data_prefix=dict(gt='HR', lq='LR_bicubic/X2'))


def test_builtin_photo_split_is_fixed_and_disjoint():
    train, val = BUILTIN_PHOTO_SPLITS['train'], BUILTIN_PHOTO_SPLITS['val']
    assert len(train) == 7 and len(val) == 3
    assert not set(train) & set(val)
    with pytest.raises(ValueError, match='split'):
        BuiltinPhotoDataset(split='test')


def test_builtin_photo_dataset_in_memory():
    dataset = DATASETS.build(dict(type='BuiltinPhotoDataset', split='val', scale=4, pipeline=MAKE_LQ_PACK))
    assert [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))] == list(BUILTIN_PHOTO_SPLITS['val'])
    assert dataset.metainfo['split'] == 'val' and dataset.metainfo['scale'] == 4
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['gt_path'] is None and info['gt'].dtype == np.uint8 and info['gt'].shape[2] == 3
        packed = dataset[i]
        h, w = packed['data_samples'].gt_img.shape[1:]
        assert h % 4 == 0 and w % 4 == 0
        assert tuple(packed['inputs'].shape) == (3, h // 4, w // 4)


def test_builtin_photo_dataset_cache_dir(tmp_path):
    from skimage import data as skdata
    cache = tmp_path / 'photos'
    dataset = BuiltinPhotoDataset(split='train', scale=2, cache_dir=str(cache), pipeline=LOAD_PACK[:1])
    files = sorted(p.name for p in cache.iterdir())
    assert files == sorted(f'{name}.png' for name in BUILTIN_PHOTO_SPLITS['train'])  # no temporary file left
    mtimes = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    astronaut = dataset[BUILTIN_PHOTO_SPLITS['train'].index('astronaut')]
    np.testing.assert_array_equal(astronaut['gt'], skdata.astronaut())
    camera = dataset[BUILTIN_PHOTO_SPLITS['train'].index('camera')]
    np.testing.assert_array_equal(camera['gt'], np.repeat(skdata.camera()[..., None], 3, axis=2))
    BuiltinPhotoDataset(split='train', scale=2, cache_dir=str(cache))  # second time: read, not rewritten
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == mtimes


@pytest.mark.data
@pytest.mark.parametrize('scale,expected_psnr', [(2, 33.66), (4, 28.42)])
def test_set5_through_dataset_pipeline_and_metric(shared_data, scale, expected_psnr):
    """Set5 read by the dataset + pipeline, upscaled by the torch imresize as a model would (batched, [0, 1]), scored
    by the PSNR metric class: the literature's bicubic number."""
    from panguvision.evaluation.metrics import PSNR
    from panguvision.utils.imresize import imresize
    dataset = PairedImageDataset(
        data_root=str(shared_data / 'sr' / 'Set5'), scale=scale, filename_tmpl=dict(lq=f'{{}}x{scale}'),
        data_prefix=dict(gt='HR', lq=f'LR_bicubic/X{scale}'), test_mode=True,
        pipeline=[dict(type='LoadSRImages'), dict(type='ModCrop'), dict(type='PackSRInputs')])
    assert len(dataset) == 5
    metric = PSNR()
    for i in range(len(dataset)):
        packed = dataset[i]
        sample = packed['data_samples']
        assert tuple(sample.gt_img.shape[1:]) == tuple(s * scale for s in packed['inputs'].shape[1:])
        pred = imresize(packed['inputs'][None] / 255, scale=scale)[0].clamp(0, 1)
        metric.process({}, [dict(pred_img=pred, gt_img=sample.gt_img / 255, **sample.metainfo)])
    measured = metric.compute_metrics(metric.results)['PSNR']
    print(f'Set5 x{scale} via dataset + torch imresize (float32) + PSNR metric: {measured:.4f} dB')
    assert measured == pytest.approx(expected_psnr, abs=0.05)
