"""HR-only folders (DIV2K / LSDIR / FFHQ layouts) and per-sample seeding for on-the-fly degradation."""
import numpy as np
import pytest

from panguvision.datasets import HRImageFolderDataset, SeededSampleDataset
from panguvision.utils.image_io import write_image

PIPELINE = [
    dict(type='LoadSRImages', keys=('gt', )),
    dict(type='RandomHRCrop', patch_size=32),
    dict(type='RealESRGANDegradation', scale=4),
    dict(type='PackSRInputs'),
]


def _write(path, seed, size=(40, 48)):
    rng = np.random.default_rng(seed)
    write_image(str(path), rng.integers(0, 256, (*size, 3), dtype=np.uint8))


@pytest.fixture
def layouts(tmp_path):
    """Tiny folders in the three layouts."""
    div2k = tmp_path / 'DIV2K' / 'DIV2K_train_HR'
    div2k.mkdir(parents=True)
    for i in (1, 2, 3):
        _write(div2k / f'{i:04d}.png', i)
    lsdir = tmp_path / 'LSDIR' / 'train'
    for group, names in (('0001000', ('0000001', '0000002')), ('0002000', ('0001001', ))):
        (lsdir / group).mkdir(parents=True)
        for name in names:
            _write(lsdir / group / f'{name}.png', len(name))
    ffhq = tmp_path / 'FFHQ' / 'images1024x1024' / '00000'
    ffhq.mkdir(parents=True)
    for i in range(2):
        _write(ffhq / f'{i:05d}.png', 10 + i)
    (ffhq / 'LICENSE.txt').write_text('not an image')
    return tmp_path


def test_div2k_lsdir_ffhq_layouts(layouts):
    div2k = HRImageFolderDataset(data_root=str(layouts / 'DIV2K'), data_prefix=dict(gt='DIV2K_train_HR'))
    assert [d['img_id'] for d in div2k] == ['0001', '0002', '0003']
    assert div2k[0]['lq_path'] is None and div2k[0]['gt_path'].endswith('DIV2K_train_HR/0001.png')
    lsdir = HRImageFolderDataset(data_root=str(layouts / 'LSDIR'), data_prefix=dict(gt='train'))
    assert [d['img_id'] for d in lsdir] == ['0001000/0000001', '0001000/0000002', '0002000/0001001']
    ffhq = HRImageFolderDataset(data_root=str(layouts / 'FFHQ'), data_prefix=dict(gt='images1024x1024'),
                                max_images=1)
    assert [d['img_id'] for d in ffhq] == ['00000/00000']


def test_ann_file_lists_images_and_names_bad_lines(layouts):
    (layouts / 'LSDIR' / 'list.txt').write_text('# subset\n0002000/0001001.png\n\n')
    ds = HRImageFolderDataset(data_root=str(layouts / 'LSDIR'), data_prefix=dict(gt='train'), ann_file='list.txt')
    assert [d['img_id'] for d in ds] == ['0002000/0001001']
    (layouts / 'LSDIR' / 'bad.txt').write_text('0001000/0000001.png\nmissing.png\n')
    with pytest.raises(FileNotFoundError, match=r'bad.txt:2: .*missing.png'):
        HRImageFolderDataset(data_root=str(layouts / 'LSDIR'), data_prefix=dict(gt='train'), ann_file='bad.txt')


def test_missing_or_empty_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        HRImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(gt='nope'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds no image'):
        HRImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(gt='empty'))


def _seeded(layouts, seed=0, num_samples=8):
    return SeededSampleDataset(
        dataset=dict(type='HRImageFolderDataset', data_root=str(layouts / 'DIV2K'),
                     data_prefix=dict(gt='DIV2K_train_HR')),
        pipeline=PIPELINE, num_samples=num_samples, seed=seed)


def test_seeded_samples_are_reproducible_and_distinct(layouts):
    ds = _seeded(layouts)
    assert len(ds) == 8 and ds.metainfo['scale'] == 4
    first, again = ds[5], _seeded(layouts)[5]
    assert first['inputs'].shape == (3, 8, 8) and first['data_samples'].gt_img.shape == (3, 32, 32)
    assert first['data_samples'].img_id == '0003'  # sample 5 is image 5 % 3
    assert np.array_equal(first['inputs'], again['inputs'])
    # Sample 2 shows the same image with another crop and degradation; another base seed changes sample 5.
    assert ds[2]['data_samples'].img_id == '0003' and not np.array_equal(ds[2]['inputs'], first['inputs'])
    assert not np.array_equal(_seeded(layouts, seed=1)[5]['inputs'], first['inputs'])
    with pytest.raises(IndexError):
        ds.get_data_info(8)


def test_items_do_not_depend_on_the_worker_count(layouts):
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader
    ds = _seeded(layouts, num_samples=6)
    batches = []
    for workers in (0, 2):
        loader = DataLoader(ds, batch_size=3, num_workers=workers, collate_fn=pseudo_collate, shuffle=False,
                            multiprocessing_context='fork' if workers else None)
        batches.append([t.clone() for batch in loader for t in batch['inputs']])
    for a, b in zip(*batches):
        assert np.array_equal(a, b)


def test_builtin_photos_through_the_wrapper(tmp_path):
    ds = SeededSampleDataset(
        dataset=dict(type='BuiltinPhotoDataset', split='val', scale=4, cache_dir=str(tmp_path)),
        pipeline=[dict(type='LoadSRImages', keys=('gt', )), dict(type='ModCrop'),
                  dict(type='RealESRGANDegradation'), dict(type='PackSRInputs')], seed=3)
    assert len(ds) == 3
    item = ds[0]
    h, w = item['data_samples'].gt_img.shape[-2:]
    assert item['inputs'].shape == (3, h // 4, w // 4)


# ---------------------------------------------------------------------------------------------------------------------
# The real-world paired test sets through PairedImageDataset(layout=...) (kept here: the layouts belong to this issue).

def _pair(gt_path, lq_path, seed, scale=4):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, 256, (16, 12, 3), dtype=np.uint8)
    write_image(str(gt_path), gt)
    write_image(str(lq_path), gt[::scale, ::scale])
    return gt


def test_realsr_layout_pairs_every_camera(tmp_path):
    from panguvision.datasets import PairedImageDataset
    gts = {}
    for camera in ('Nikon', 'Canon'):
        folder = tmp_path / camera / 'Test' / '4'
        folder.mkdir(parents=True)
        for i in (1, 2):
            name = f'{camera}_{i:03d}'
            gts[name] = _pair(folder / f'{name}_HR.png', folder / f'{name}_LR4.png', seed=i)
        (tmp_path / camera / 'Test' / '2').mkdir()
        _pair(tmp_path / camera / 'Test' / '2' / f'{camera}_001_HR.png',
              tmp_path / camera / 'Test' / '2' / f'{camera}_001_LR2.png', seed=0, scale=2)
    ds = PairedImageDataset(data_root=str(tmp_path), scale=4, layout='realsr',
                            pipeline=[dict(type='LoadSRImages'), dict(type='PackSRInputs')])
    ids = [ds.get_data_info(i)['img_id'] for i in range(len(ds))]
    assert ids == ['Canon_001', 'Canon_002', 'Nikon_001', 'Nikon_002']
    info = ds.get_data_info(3)
    assert info['gt_path'].endswith('Nikon/Test/4/Nikon_002_HR.png')
    assert info['lq_path'].endswith('Nikon/Test/4/Nikon_002_LR4.png')
    packed = ds[3]
    np.testing.assert_array_equal(packed['inputs'].permute(1, 2, 0).numpy(), gts['Nikon_002'][::4, ::4])
    assert len(PairedImageDataset(data_root=str(tmp_path), scale=2, layout='realsr')) == 2


def test_drealsr_layout_and_missing_partner(tmp_path):
    from panguvision.datasets import PairedImageDataset
    hr, lr = tmp_path / 'Test_x4' / 'test_HR', tmp_path / 'Test_x4' / 'test_LR'
    hr.mkdir(parents=True)
    lr.mkdir(parents=True)
    for name in ('DSC_0001', 'panasonic_0002'):
        _pair(hr / f'{name}_x1.png', lr / f'{name}_x4.png', seed=3)
    ds = PairedImageDataset(data_root=str(tmp_path), scale=4, layout='drealsr')
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == ['DSC_0001', 'panasonic_0002']
    assert ds.get_data_info(1)['lq_path'].endswith('test_LR/panasonic_0002_x4.png')
    (lr / 'DSC_0001_x4.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'(?s)DSC_0001_x1\.png.*DSC_0001_x4'):
        PairedImageDataset(data_root=str(tmp_path), scale=4, layout='drealsr')


def test_div2k_val_crops_layout_and_bad_arguments(tmp_path):
    from panguvision.datasets import PairedImageDataset
    (tmp_path / 'gt').mkdir()
    (tmp_path / 'lq').mkdir()
    for i in range(3):
        _pair(tmp_path / 'gt' / f'{i:07d}.png', tmp_path / 'lq' / f'{i:07d}.png', seed=i)
    ds = PairedImageDataset(data_root=str(tmp_path), scale=4, layout='div2k_val_crops')
    assert len(ds) == 3 and ds.get_data_info(0)['lq_path'].endswith('lq/0000000.png')
    with pytest.raises(ValueError, match='layout must be one of'):
        PairedImageDataset(data_root=str(tmp_path), layout='realsr_v4')
    with pytest.raises(ValueError, match='exactly one'):
        PairedImageDataset(data_root=str(tmp_path), layout='div2k_val_crops', filename_tmpl=dict(gt='{}_{}'))
    with pytest.raises(FileNotFoundError, match='named like'):
        PairedImageDataset(data_root=str(tmp_path), layout='div2k_val_crops', filename_tmpl=dict(gt='{}_HR'))
    with pytest.raises(FileNotFoundError, match='matches no directory'):
        PairedImageDataset(data_root=str(tmp_path), layout='realsr')
