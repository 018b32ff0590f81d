# A small MinkUNet (3 stages, widths 16-32) on the plain-torch sparse conv for the 5-class synthetic scenes (CPU), with
# the NeRF head; set model.nerf_head=None for supervised-only training.
model = dict(
    type='NeRFSAMMinkUNet',
    data_preprocessor=dict(
        type='LidarSegDataPreprocessor',
        voxel=True,
        voxel_type='minkunet',
        batch_first=True,
        max_voxels=None,
        voxel_layer=dict(
            max_num_points=-1, point_cloud_range=[-60, -60, -10, 60, 60, 10], voxel_size=[0.25, 0.25, 0.25],
            max_voxels=(-1, -1))),
    backbone=dict(
        type='PortableMinkUNetBackbone',
        in_channels=4,
        base_channels=16,
        num_stages=3,
        encoder_channels=[16, 32, 32],
        encoder_blocks=[1, 1, 1],
        decoder_channels=[32, 32, 32],
        decoder_blocks=[1, 1, 1],
        sparseconv_backend='torch'),
    decode_head=dict(
        type='mmdet3d.MinkUNetHead',
        channels=32,
        num_classes=5,
        dropout_ratio=0,
        loss_decode=dict(type='mmdet.CrossEntropyLoss', avg_non_ignore=True),
        ignore_index=5),
    nerf_head=dict(
        type='NeRFSemanticHead', in_channels=32, num_classes=5, hidden_channels=32, num_samples=32, near=1.0,
        far=40.0, density_bias=8.0, loss_sem_weight=0.0, loss_depth_weight=0.05, ignore_index=255),
    # No SAM weights ship with the project: unsupervised Felzenszwalb segments stand in for SAM's masks here.
    mask_generator=dict(type='SuperpixelMaskGenerator', method='felzenszwalb', scale=100, sigma=0.8, min_size=30),
    pseudo_label=dict(mode='confidence', threshold=0.7, min_opacity=0.5, max_depth_error=1.0),
    # Masks also label the unlabelled scan's own points: the scan's voxels projected into the image vote inside each
    # mask with the LiDAR branch's probabilities; confident masks label the voxels seen in them. Setting "D" of
    # configs/lidar_nerf_sam/README.md: threshold 0.9, weight 0.5, and no rendered-semantics CE (loss_sem_weight=0
    # above: with the sparse LiDAR shell ~14 % of rays render a wrong voxel even with perfect features).
    # Setting "D+DA" (the default since the 500-scan protocol): D plus ReMixMatch-style distribution alignment of the
    # votes (labelled in-view class prior / running mean of the unlabelled predictions), which stops the pseudo-labels
    # drifting to one class (with 5 labelled scans D's pseudo-labels turned cars and buildings into vegetation).
    point_pseudo_label=dict(loss_weight=0.5, vote='points', mode='confidence', threshold=0.9, min_voters=3,
                            distribution_alignment=dict(momentum=0.99)),
    # Cleaner mask labels, off for these 5-class scenes (six-seed selection in the README's round 3 kept D+DA):
    # depth_split_gap=2.0 (each depth run of a mask votes on its own) and visibility=dict(window=5, tolerance=1.0)
    # (voxels hidden from the camera neither vote nor get a label) halve the wrong voxel labels. On the 10-class street
    # scenes they are on (minkunet_tiny_nerf_sam_street10_10pct.py; round 5b: held-out gain at 1 % and 10 %).
    # Setting "F" (mean teacher + class-balanced thresholds) was chosen on the selection split but lost on the held-out
    # split (README): off here. To try it: teacher=dict(momentum=0.999) and
    # point_pseudo_label.class_balance=dict(keep_ratio=0.5, momentum=0.9).
    teacher=None,
    ray_stride=8,
    share_classifier=True,
    nerf_on_labelled=False,
    train_cfg=dict(),
    test_cfg=dict())
