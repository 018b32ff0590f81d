# The bicubic baseline on the Real-ESRGAN-degraded held-out built-in photographs (reference row of the README).
_base_ = ['../_base_/datasets/realesrgan_builtin_x4.py', '../_base_/default_runtime.py']
train_dataloader = None  # evaluation only: nothing to train
model = dict(type='SRModel', generator=dict(type='BicubicUpsampler', upscale=4))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
