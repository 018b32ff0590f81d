# Supervised-only tiny MinkUNet on the 10-class synthetic street scenes (street10), 10 % labelled, 900 iterations (CPU).
_base_ = ['./minkunet_tiny_nerf_sam_street10_10pct.py']
model = dict(nerf_head=None, mask_generator=None, point_pseudo_label=None, teacher=None)
train_dataloader = dict(batch_size=1, dataset=dict(labelled_ratio=0.1, labelled_only=True, balance_labelled=False))
