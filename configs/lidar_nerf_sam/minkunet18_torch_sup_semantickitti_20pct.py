# Supervised-only MinkUNet-18 on SemanticKITTI with 20 % of the training scans labelled (see the 10 % config).
_base_ = ['./minkunet18_torch_sup_semantickitti_10pct.py']
train_dataloader = dict(dataset=dict(labelled_ratio=0.2))
