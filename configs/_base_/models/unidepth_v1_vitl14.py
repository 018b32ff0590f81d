# UniDepth V1 with a ViT-L/14 encoder (DINOv2 geometry: 1024 wide, 24 blocks, 16 heads, patch 14, LayerScale 1e-5),
# features of blocks 6/12/18/24, decoder width 512. Random initialisation: set model.backbone.weights to a local
# timm-layout ViT-L/14 file (or load a converted UniDepth checkpoint with tools/model_converters) for real use.
model = dict(
    type='UniDepthV1',
    data_preprocessor=dict(
        type='DepthDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(
        type='TimmViTEncoder', embed_dim=1024, depth=24, num_heads=16, patch_size=14, img_size=518,
        init_values=1e-5, out_indices=(5, 11, 17, 23), weights=None),
    decoder=dict(type='UniDepthV1Decoder', dim=512, num_heads=8, depths=(4, 2, 1), camera_depth=2, sh_degree=8,
                 expansion=4, grid_level=-1, depth_init=5.0),
    depth_loss=dict(type='SILogLoss', lambda_var=0.85, loss_weight=1.0),
    invariance_loss=dict(type='GeometricInvarianceLoss', loss_weight=0.1),
    camera_loss=dict(type='CameraRayLoss', loss_weight=0.25),
    train_cfg=dict(use_gt_camera=True),
    # inputs are resized to fit 462x616 (multiples of 14) and the outputs mapped back to the input size
    test_cfg=dict(image_shape=(462, 616), use_gt_intrinsics=False))
