# MinkUNet + the NeRF head on unlabelled scans, supervised by SAM masks fused with the rendered semantics.
_base_ = ['./minkunet_torch.py']
model = dict(
    nerf_head=dict(
        type='NeRFSemanticHead',
        in_channels=96,
        num_classes=19,
        hidden_channels=64,
        num_samples=48,
        near=1.0,
        far=50.0,
        loss_sem_weight=1.0,
        loss_depth_weight=0.1,
        ignore_index=255),
    # Local SAM weights (nothing is downloaded): sam_vit_h_4b8939.pth from the segment-anything release.
    mask_generator=dict(
        type='SamMaskGenerator', checkpoint='checkpoints/sam_vit_h_4b8939.pth', model_type='vit_h',
        points_per_side=32, pred_iou_thresh=0.88, stability_score_thresh=0.95),
    pseudo_label=dict(mode='confidence', threshold=0.5, min_opacity=0.5),
    ray_stride=8,
    share_classifier=True,
    nerf_on_labelled=False)
