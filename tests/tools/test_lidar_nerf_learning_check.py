"""tools/misc/lidar_nerf_learning_check.py: the pass/fail rule and the pseudo-label diagnostics (the training itself
is exercised by tests/models/lidar_seg)."""
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools' / 'misc'))
import lidar_nerf_learning_check as check  # noqa: E402


def test_nerf_must_beat_supervised_at_every_ratio():
    rows = [dict(ratio=0.01, method='supervised', miou=0.40), dict(ratio=0.01, method='nerf_sam', miou=0.41),
            dict(ratio=0.1, method='supervised', miou=0.85), dict(ratio=0.1, method='nerf_sam', miou=0.85)]
    assert check.nerf_beats_supervised(rows) == {0.01: True, 0.1: False}  # a tie is not a win
    assert check.nerf_beats_supervised(rows[:1]) is None  # one method only: no verdict


def test_pseudo_label_diagnostics_count_against_the_true_labels(tmp_path):
    from panguvision.utils.image_io import write_image
    true = np.full((4, 6), 255, np.uint8)
    true[2:] = 0  # bottom half road, top half sky
    true[2:, :2] = 1
    path = tmp_path / 'image_2' / 'x.png'
    (tmp_path / 'image_2_cls').mkdir(parents=True)
    write_image(str(tmp_path / 'image_2_cls' / 'x.png'), np.repeat(true[..., None], 3, 2))
    labels = torch.full((4, 6), 255, dtype=torch.long)
    labels[2:, 2:] = 0  # right: correct
    labels[2:, :2] = 0  # left: wrong (true class 1)
    dbg = dict(img_path=str(path), pixel_labels=labels, voxel_gt_for_diagnostics=torch.tensor([0, 1, 2, 3]),
               voxel_rows_in_scan=torch.tensor([1, 2, 3]), voxel_labels=torch.tensor([1, 2, 0]),
               voxel_own_pred=torch.tensor([0, 2, 3]), num_voxels_in_view=4)
    diag = check.new_diagnostics(num_classes=5)
    check.accumulate_diagnostics(dbg, diag, {}, ignore_index=5)
    out = check.summarise_diagnostics(diag)
    assert out['pixel_accuracy'] == round(8 / 12, 4) and out['pixel_coverage'] == 1.0
    assert out['voxel_accuracy'] == round(2 / 3, 4) and out['voxel_coverage_in_view'] == 0.75
    assert out['ray_accuracy'] is None
    confusion = torch.tensor(out['voxel_confusion_true_x_pseudo'])  # voxels 1, 2, 3: true 1, 2, 3 -> 1, 2, 0
    assert confusion.sum() == 3 and confusion[1, 1] == confusion[2, 2] == confusion[3, 0] == 1
    assert out['mask_target_accuracy'] is None  # no mask-consistency targets in this step
    # own classes 0, 2, 3 vs true 1, 2, 3: voxel 1's label corrects it, voxel 3's label corrupts it
    assert (out['voxel_fixed'], out['voxel_broken'], out['voxel_own_wrong']) == (1, 1, 1)


def test_scene_preset_sets_the_class_count_and_the_data_folder():
    import argparse
    ns = argparse.Namespace(model_config=str(REPO / 'configs' / '_base_' / 'models' / 'minkunet_torch_tiny.py'),
                            scenes='street10')
    cfg = check.load_model_config(ns)
    assert cfg.model.decode_head.num_classes == 10 and cfg.model.decode_head.ignore_index == 10
    assert cfg.model.nerf_head.num_classes == 10
    ns.scenes = 'street5'
    assert check.load_model_config(ns).model.decode_head.num_classes == 5
    assert check.default_data_root(100).endswith('data/synthetic_lidar')
    assert check.default_data_root(500).endswith('data/synthetic_lidar_train500')
    assert check.default_data_root(500, 'street10').endswith('data/synthetic_lidar_street10_train500')
