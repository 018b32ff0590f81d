"""MASA's two-view pseudo-videos: dataset, independent views with consistent instance ids, affine box transform,
mix-up."""
import json
import random

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from panguvision.datasets.masa_dataset import MIX_ID_OFFSET
from panguvision.registry import DATASETS, TRANSFORMS

BASE = 'configs/masa/_base_/pseudo_video_synthetic.py'


@pytest.fixture
def coco_folder(tmp_path):
    """Three 120x160 images with 3-4 textured boxes each and a class-less COCO json (no instance ids)."""
    rng = np.random.default_rng(0)
    images, anns = [], []
    (tmp_path / 'train').mkdir()
    for image_id in range(1, 4):
        img = np.full((120, 160, 3), 114, np.uint8)
        for k in range(2 + image_id // 2 + 1):
            x, y = 10 + 35 * k, 20 + 10 * image_id
            img[y:y + 40, x:x + 25] = rng.integers(0, 255, (40, 25, 3))
            anns.append(dict(id=len(anns) + 1, image_id=image_id, category_id=7, bbox=[x, y, 25, 40], area=1000,
                             iscrowd=0))
        cv2.imwrite(str(tmp_path / 'train' / f'{image_id}.png'), img)
        images.append(dict(id=image_id, file_name=f'{image_id}.png', height=120, width=160))
    (tmp_path / 'ann.json').write_text(json.dumps(dict(images=images, annotations=anns,
                                                       categories=[dict(id=7, name='anything')])))
    return tmp_path


def build_dataset(root, **overrides):
    init_default_scope('panguvision')
    cfg = Config.fromfile(BASE).train_dataloader.dataset
    cfg.update(data_root=str(root), ann_file='ann.json', data_prefix=dict(img='train/'), **overrides)
    return DATASETS.build(cfg)


def test_items_are_two_views_with_the_same_instance_ids(coco_folder):
    dataset = build_dataset(coco_folder, mixup_prob=0.0)
    assert len(dataset) == 3
    info = dataset.get_data_info(2)
    assert info['video_length'] == 1 and [i['instance_id'] for i in info['images'][0]['instances']] == [1, 2, 3, 4]
    for idx in range(3):
        item = dataset[idx]
        assert item['inputs'].shape == (2, 3, 240, 320)  # both views resized to the config's (320, 240)
        sample = item['data_samples']
        assert sample.key_frames_inds == [0] and sample.ref_frames_inds == [1]
        key, ref = (sample[t].gt_instances for t in range(2))
        for view in (key, ref):
            assert set(view.instances_ids.tolist()) <= set(range(1, 5))
            assert (view.labels == 0).all()  # class-agnostic
        assert len(set(key.instances_ids.tolist()) & set(ref.instances_ids.tolist())) > 0


def test_views_are_augmented_independently(coco_folder):
    dataset = build_dataset(coco_folder, mixup_prob=0.0)
    views = Compose(dataset.pipeline.transforms[:2])(dataset.get_data_info(0))  # up to the packing
    m0, m1 = views['warp_matrix']
    assert not np.allclose(m0, m1)
    assert not np.array_equal(views['img'][0], views['img'][1])


def test_mixup_adds_the_second_image_to_both_views(coco_folder):
    dataset = build_dataset(coco_folder, mixup_prob=1.0)
    sample = dataset[0]['data_samples']
    for t in range(2):
        ids = sample[t].gt_instances.instances_ids.tolist()
        assert any(i > MIX_ID_OFFSET for i in ids), ids


def test_random_affine_moves_boxes_with_the_image_and_drops_ids_with_them():
    from mmdet.structures.bbox import HorizontalBoxes
    init_default_scope('panguvision')
    affine = TRANSFORMS.build(dict(type='MASARandomAffine', max_rotate_degree=0, max_shear_degree=0,
                                   max_translate_ratio=0.2, scaling_ratio_range=(0.5, 2.0), min_bbox_size=1))
    img = np.zeros((100, 200, 3), np.uint8)
    boxes = np.array([[20., 30., 60., 90.], [150., 10., 190., 50.], [95., 45., 105., 55.]], np.float32)
    for seed in range(5):
        random.seed(seed)
        res = affine(dict(img=img.copy(), img_shape=(100, 200), gt_bboxes=HorizontalBoxes(boxes.copy()),
                          gt_bboxes_labels=np.zeros(3, np.int64), gt_ignore_flags=np.zeros(3, bool),
                          gt_instances_ids=np.array([1, 2, 3], np.int32)))
        m = res['warp_matrix']
        corners = np.concatenate([boxes[:, :2], boxes[:, 2:]])
        warped = (np.c_[corners, np.ones(len(corners))] @ m.T)[:, :2]
        expected = np.concatenate([warped[:3], warped[3:]], axis=1)
        expected[:, 0::2] = expected[:, 0::2].clip(0, 200)
        expected[:, 1::2] = expected[:, 1::2].clip(0, 100)
        valid = (expected[:, 2] - expected[:, 0] >= 1) & (expected[:, 3] - expected[:, 1] >= 1)
        got = res['gt_bboxes'].numpy()
        assert np.allclose(got, expected[valid], atol=1e-3)
        assert res['gt_instances_ids'].tolist() == np.array([1, 2, 3])[valid].tolist()
        assert len(res['gt_bboxes_labels']) == len(res['gt_ignore_flags']) == valid.sum()
