# MinkUNet (mmdet3d's minkunet18_w32 widths) on the plain-torch sparse conv: trains on CPU. On CUDA switch the backend
# by config: model.backbone.sparseconv_backend='spconv' (or 'torchsparse' with data_preprocessor.batch_first=False).
model = dict(
    type='NeRFSAMMinkUNet',
    data_preprocessor=dict(
        type='LidarSegDataPreprocessor',
        voxel=True,
        voxel_type='minkunet',
        batch_first=True,
        max_voxels=80000,
        voxel_layer=dict(
            max_num_points=-1,
            point_cloud_range=[-100, -100, -20, 100, 100, 20],
            voxel_size=[0.05, 0.05, 0.05],
            max_voxels=(-1, -1))),
    backbone=dict(
        type='PortableMinkUNetBackbone',
        in_channels=4,
        base_channels=32,
        num_stages=4,
        encoder_channels=[32, 64, 128, 256],
        encoder_blocks=[2, 2, 2, 2],
        decoder_channels=[256, 128, 96, 96],
        decoder_blocks=[2, 2, 2, 2],
        block_type='basic',
        sparseconv_backend='torch'),
    decode_head=dict(
        type='mmdet3d.MinkUNetHead',
        channels=96,
        num_classes=19,
        dropout_ratio=0,
        loss_decode=dict(type='mmdet.CrossEntropyLoss', avg_non_ignore=True),
        ignore_index=19),
    # no nerf_head: supervised only; see minkunet_torch_nerf_sam.py
    train_cfg=dict(),
    test_cfg=dict())
