"""SyntheticShapesDataset, ClassImageFolderDataset and the generation transforms."""
import numpy as np
import pytest

from panguvision.datasets import ClassImageFolderDataset, SyntheticShapesDataset
from panguvision.datasets.synthetic_shapes import SHAPE_COLORS, draw_shape
from panguvision.models.generation import DEFAULT_COLORS, ImageLayoutDescriber, ReasoningTokenizer
from panguvision.registry import TRANSFORMS
from panguvision.utils.image_io import write_image

SLOTS = ('fg_color', 'bg_color', 'vertical', 'horizontal', 'size')


def test_scenes_are_deterministic_and_described_by_their_words():
    a = SyntheticShapesDataset(num_samples=60, image_size=24, seed=3)
    b = SyntheticShapesDataset(num_samples=60, image_size=24, seed=3)
    c = SyntheticShapesDataset(num_samples=60, image_size=24, seed=4)
    assert all(np.array_equal(a.get_data_info(i)['img'], b.get_data_info(i)['img']) for i in range(60))
    assert any(not np.array_equal(a.get_data_info(i)['img'], c.get_data_info(i)['img']) for i in range(60))
    describer, tokenizer = ImageLayoutDescriber(), ReasoningTokenizer()
    seen = {slot: set() for slot in SLOTS}
    for i in range(len(a)):
        info = a.get_data_info(i)
        img = info['img']
        assert img.shape == (24, 24, 3) and img.dtype == np.uint8
        words = {slot: info[slot] for slot in SLOTS}
        assert describer.describe(img) == words  # the pixels say what the words say
        assert describer.classify_shape(img) == info['class_name'] == a.metainfo['classes'][info['gt_label']]
        assert tokenizer.parse(info['prompt']) == words
        for slot in SLOTS:
            seen[slot].add(words[slot])
    assert all(len(values) >= 2 for values in seen.values())
    assert SHAPE_COLORS == dict(DEFAULT_COLORS)  # the dataset draws in the reasoning vocabulary's palette


def test_draw_shape_geometry_and_errors():
    img = draw_shape(32, 'square', (255, 0, 0), (0, 0, 0), cy=10, cx=20, half=3)
    ys, xs = np.nonzero(img[..., 0])
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (7, 13, 17, 23)
    assert set(map(tuple, img.reshape(-1, 3))) == {(255, 0, 0), (0, 0, 0)}
    with pytest.raises(ValueError, match='unknown shape'):
        draw_shape(32, 'star', (1, 1, 1), (0, 0, 0), 10, 10, 3)
    with pytest.raises(KeyError, match='unknown colour'):
        SyntheticShapesDataset(num_samples=2, fg_colors=('teal', ))


def test_class_image_folder_and_transforms(tmp_path):
    rng = np.random.default_rng(0)
    for cls, n in (('n02', 2), ('n01', 1)):
        for i in range(n):
            write_image(str(tmp_path / 'train' / cls / f'img{i}.png'), rng.integers(0, 256, (30, 40, 3), np.uint8))
    (tmp_path / 'train' / 'n01' / 'notes.txt').write_text('not an image')
    pipeline = [dict(type='LoadGenerationImage'), dict(type='ResizeCenterCrop', size=16),
                dict(type='PackGenerationInputs')]
    ds = ClassImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='train'), pipeline=pipeline)
    assert len(ds) == 3 and ds.metainfo['classes'] == ('n01', 'n02')
    assert [ds.get_data_info(i)['gt_label'] for i in range(3)] == [0, 1, 1]
    packed = ds[0]
    assert tuple(packed['inputs'].shape) == (3, 16, 16) and float(packed['inputs'].max()) <= 255
    assert packed['data_samples'].metainfo['class_name'] == 'n01' and 'gt_img' in packed['data_samples']
    with pytest.raises(FileNotFoundError, match='not a directory'):
        ClassImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='missing'))

    crop = TRANSFORMS.build(dict(type='ResizeCenterCrop', size=8))
    out = crop.transform(dict(img=np.arange(20 * 10 * 3, dtype=np.uint8).reshape(20, 10, 3)))
    assert out['img'].shape == (8, 8, 3)
    with pytest.raises(ValueError, match='PackGenerationInputs'):
        TRANSFORMS.build(dict(type='PackGenerationInputs')).transform(dict(img_id='x'))
    with pytest.raises(KeyError, match='neither'):
        TRANSFORMS.build(dict(type='LoadGenerationImage')).transform(dict(img_id='x'))
