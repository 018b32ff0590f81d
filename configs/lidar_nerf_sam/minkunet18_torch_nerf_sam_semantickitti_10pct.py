# MinkUNet-18 + NeRF head + SAM pseudo-labels on SemanticKITTI with 10 % of the training scans labelled; the other
# scans train through the camera branch (rendered semantics vs SAM-fused pseudo-labels, rendered depth vs LiDAR
# depth). Labelled scans are repeated so that batches mix both kinds. Needs local SAM weights
# (model.mask_generator.checkpoint) and camera-aware info files (see README.md). The NeRF head is not used at test.
_base_ = [
    '../_base_/models/minkunet_torch_nerf_sam.py', '../_base_/datasets/semantickitti_nerf.py',
    './_base_/semantickitti_15e.py'
]
labelled_ratio = 0.1
train_dataloader = dict(dataset=dict(labelled_ratio=labelled_ratio, balance_labelled=True))
