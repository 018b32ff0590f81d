# MASA adapter on SAM's frozen ViT-B image encoder ("unified" MASA: SAM segments and MASA associates with one
# backbone): a simple pyramid from the stride-16 encoder output (strides 4-32) + FPN-like fusion by 3 DCNv2 blocks.
_base_ = ['./masa_r50.py']
model = dict(
    data_preprocessor=dict(pad_size_divisor=32),
    adapter=dict(
        backbone=dict(_delete_=True, type='panguvision.SAMImageEncoderBackbone', model_type='vit_b',
                      checkpoint='checkpoints/sam_vit_b_01ec64.pth'),
        neck=[dict(type='panguvision.SimpleFeaturePyramid', in_channels=256, out_channels=256,
                   scales=(4.0, 2.0, 1.0, 0.5)),
              dict(type='panguvision.DeformFusionNeck', in_channels=256, num_blocks=3)],
        rpn_head=dict(anchor_generator=dict(strides=[4, 8, 16, 32])),
        roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[4, 8, 16, 32]))))
