# The bicubic baseline on the held-out built-in photographs (the demo job's reference row).
_base_ = ['../_base_/datasets/builtin_photos_x4.py', '../_base_/default_runtime.py']
train_dataloader = None  # evaluation only: nothing to train
model = dict(type='SRModel', generator=dict(type='BicubicUpsampler', upscale=4))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
