"""tools/analysis_tools/lidar_mask_purity.py: the purity count on hand-made groups."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools'))
from lidar_mask_purity import group_purity  # noqa: E402


def test_group_purity_counts_voxels_of_the_majority_class():
    groups = torch.tensor([0, 0, 0, 1, 1, 2])
    labels = torch.tensor([1, 1, 2, 0, 0, 2])  # group 0: majority 1 (one voxel of class 2 is off); 1 and 2 pure
    counts = group_purity(groups, labels, num_classes=3)
    assert counts.tolist() == [[2, 2], [2, 2], [1, 2]]
    assert counts[:, 0].sum() / counts[:, 1].sum() == 5 / 6
