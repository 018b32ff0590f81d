# The parameter-free bicubic baseline (MATLAB imresize) on Set5, x2. Evaluate with:
#   python tools/test.py configs/bicubic/bicubic_x2_set5.py
_base_ = ['../_base_/datasets/div2k_set5_x2.py', '../_base_/default_runtime.py']
train_dataloader = None  # evaluation only: nothing to train
model = dict(type='SRModel', generator=dict(type='BicubicUpsampler', upscale=2))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
