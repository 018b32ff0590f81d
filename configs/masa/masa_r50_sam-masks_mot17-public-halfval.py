# MASA on a frozen ResNet-50: adapter trained from SAM masks of unlabelled images, tested on MOT17 half-val with the
# public FRCNN detections (so only association is measured). ImageNet ResNet-50 weights come from a local file:
#   --cfg-options model.adapter.backbone.init_cfg.checkpoint=PATH   (torchvision's resnet50 .pth)
_base_ = ['../_base_/models/masa_r50.py', './_base_/sam_masks_selfsup.py']
model = dict(adapter=dict(backbone=dict(
    init_cfg=dict(_delete_=True, type='Pretrained', checkpoint='checkpoints/resnet50-0676ba61.pth'))))
