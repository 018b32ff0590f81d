# DIV2K for training, Set5 for validation and testing, x3: div2k_set5_x2.py with the x3 LR folders.
_base_ = ['./div2k_set5_x2.py']
scale = 3
train_dataloader = dict(
    dataset=dict(data_prefix=dict(lq='DIV2K_train_LR_bicubic/X3'), filename_tmpl=dict(lq='{}x3'), scale=scale))
val_dataloader = dict(dataset=dict(data_prefix=dict(lq='LR_bicubic/X3'), filename_tmpl=dict(lq='{}x3'), scale=scale))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR', crop_border=scale), dict(type='SSIM', crop_border=scale)]
test_evaluator = val_evaluator
