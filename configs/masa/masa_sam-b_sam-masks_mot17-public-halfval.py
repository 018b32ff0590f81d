# MASA on SAM ViT-B (frozen; weights from the local SAM file in configs/_base_/models/masa_sam-b.py), adapter trained
# from SAM masks of unlabelled images, tested on MOT17 half-val with the public detections.
_base_ = ['../_base_/models/masa_sam-b.py', './_base_/sam_masks_selfsup.py']
