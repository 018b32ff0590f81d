# HiT-SRF x4 trained on DF2K (DIV2K 800 + Flickr2K 2650 images), the released "HiT-SRF-DF2K" model.
_base_ = ['./hit_srf_x4_div2k.py']
_div2k = dict(
    type='PairedImageDataset',
    data_root='data/DIV2K',
    data_prefix=dict(gt='DIV2K_train_HR', lq='DIV2K_train_LR_bicubic/X4'),
    filename_tmpl=dict(lq='{}x4'),
    scale=4,
    pipeline={{_base_.train_pipeline}})
_flickr2k = dict(
    type='PairedImageDataset',
    data_root='data/Flickr2K',
    data_prefix=dict(gt='Flickr2K_HR', lq='Flickr2K_LR_bicubic/X4'),
    filename_tmpl=dict(lq='{}x4'),
    scale=4,
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(dataset=dict(_delete_=True, type='ConcatDataset', datasets=[_div2k, _flickr2k]))
