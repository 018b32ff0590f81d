# DIV2K for training, Set5 for validation and testing, x4: div2k_set5_x2.py with the x4 LR folders.
_base_ = ['./div2k_set5_x2.py']
scale = 4
train_dataloader = dict(
    dataset=dict(data_prefix=dict(lq='DIV2K_train_LR_bicubic/X4'), filename_tmpl=dict(lq='{}x4'), scale=scale))
val_dataloader = dict(dataset=dict(data_prefix=dict(lq='LR_bicubic/X4'), filename_tmpl=dict(lq='{}x4'), scale=scale))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR', crop_border=scale), dict(type='SSIM', crop_border=scale)]
test_evaluator = val_evaluator
