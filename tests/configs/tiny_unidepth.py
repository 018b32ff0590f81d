# A very small UniDepth V1 (ViT 32 wide, 2 blocks, patch 8; decoder 32 wide) on a few synthetic rooms, two views per
# image: for the train / test tool tests. Override the data roots (train_dataloader.dataset.data_root, ...) to tmp.
_base_ = ['../../configs/unidepth/unidepth_v1_tiny_synthetic.py']
model = dict(
    backbone=dict(embed_dim=32, depth=2, num_heads=2, out_indices=(0, 1)),
    decoder=dict(dim=32, num_heads=2, depths=(1, 1, 1), camera_depth=1, sh_degree=4))
img_size = (40, 56)
train_dataloader = dict(
    batch_size=2,
    dataset=dict(data_root='data/synthetic_depth/tiny_train', num_images=4, img_size=img_size,
                 pipeline=[
                     dict(type='LoadDepthInputs', depth_scale=1000.0),
                     dict(type='TwoViewDepthAug', num_views=2, transforms=[
                         dict(type='DepthRandomResize', ratio_range=(1.0, 1.2)),
                         dict(type='DepthRandomCrop', size=(32, 48)),
                         dict(type='DepthRandomFlip', prob=0.5),
                     ]),
                     dict(type='PackDepthViews'),
                 ]))
test_dataloader = dict(dataset=dict(data_root='data/synthetic_depth/tiny_test', num_images=2, img_size=img_size))
train_cfg = dict(max_iters=3)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3, max_keep_ckpts=1))
