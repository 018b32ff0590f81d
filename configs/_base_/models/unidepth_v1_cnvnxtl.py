# UniDepth V1 with a ConvNeXt-L encoder (timm convnext_large: stages 192/384/768/1536 at strides 4-32); the decoder's
# common grid is the stride-16 stage. Random initialisation unless model.backbone.weights names a local timm file.
model = dict(
    type='UniDepthV1',
    data_preprocessor=dict(
        type='DepthDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(type='TimmConvNeXtEncoder', model_name='convnext_large', weights=None),
    decoder=dict(type='UniDepthV1Decoder', dim=512, num_heads=8, depths=(4, 2, 1), camera_depth=2, sh_degree=8,
                 expansion=4, grid_level=2, depth_init=5.0),
    depth_loss=dict(type='SILogLoss', lambda_var=0.85, loss_weight=1.0),
    invariance_loss=dict(type='GeometricInvarianceLoss', loss_weight=0.1),
    camera_loss=dict(type='CameraRayLoss', loss_weight=0.25),
    train_cfg=dict(use_gt_camera=True),
    test_cfg=dict(image_shape=(480, 640), use_gt_intrinsics=False))
