# MinkUNet-18 + NeRF head + SAM pseudo-labels on SemanticKITTI, 1 % of the scans labelled (see the 10 % config).
_base_ = ['./minkunet18_torch_nerf_sam_semantickitti_10pct.py']
train_dataloader = dict(dataset=dict(labelled_ratio=0.01))
