# HiT-SIR, the released headline configuration (embed_dim 60, depths/heads [6]*4, base window 8,
# hierarchical window ratios [0.5, 1, 2, 4, 6, 8], MLP ratio 2, pixelshuffledirect upsampler).
model = dict(
    type='SRModel',
    generator=dict(type='HiTSIR', upscale=4),
    pixel_loss=dict(type='mmdet.L1Loss', loss_weight=1.0),
    data_preprocessor=dict(type='SRDataPreprocessor'))
