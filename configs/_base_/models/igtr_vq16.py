# LlamaGen's VQ-16 tokenizer: 16x downsampling, codebook 16384 x 8, l2-normalised codes.
model = dict(
    type='VQTokenizer', ch=128, ch_mult=(1, 1, 2, 2, 4), num_res_blocks=2, z_channels=256, mid_attn=True,
    codebook_size=16384, code_dim=8, beta=0.25, l2_norm=True, ema=False, recon_loss='l1',
    perceptual_loss=None, discriminator=None)
