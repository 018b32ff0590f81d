# A tiny MASA for the tests (ResNet-18 with 8 base channels, 16-channel pyramid from stride 8, one DCNv2 fusion block,
# 32-d embeddings): trains on 2-view pseudo-videos of synthetic frames and tracks synthetic sequences.
_base_ = ['../../configs/masa/masa_tiny-r18_selfsup-synthetic.py']
ch = 16
model = dict(
    adapter=dict(
        backbone=dict(depth=18, base_channels=8),
        neck=[dict(type='FPN', in_channels=[8, 16, 32, 64], out_channels=ch, start_level=1, num_outs=4),
              dict(type='panguvision.DeformFusionNeck', in_channels=ch, num_blocks=1)],
        rpn_head=dict(in_channels=ch, feat_channels=ch),
        roi_head=dict(bbox_roi_extractor=dict(out_channels=ch), bbox_head=dict(in_channels=ch, fc_out_channels=32)),
        train_cfg=dict(rpn_proposal=dict(nms_pre=200, max_per_img=50), rcnn=dict(sampler=dict(num=32))),
        test_cfg=dict(rpn=dict(nms_pre=200, max_per_img=50))),
    track_head=dict(
        roi_extractor=dict(out_channels=ch),
        embed_head=dict(in_channels=ch, conv_out_channels=ch, fc_out_channels=32, embed_channels=32,
                        norm_cfg=dict(type='GN', num_groups=4)),
        train_cfg=dict(sampler=dict(num=32))))
train_cfg = dict(max_iters=4)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
