# Tiny VQ tokenizer for 24x24 synthetic shapes: a 4x4 patch-embedding stem (4x downsampling, 6x6 tokens), one
# 64-wide residual level, codebook 256 x 8 with dead-code restarts, l2 reconstruction loss (0.63M parameters).
model = dict(
    type='VQTokenizer', ch=64, ch_mult=(1, ), num_res_blocks=1, z_channels=64, mid_attn=False, stem_stride=4,
    codebook_size=256, code_dim=8, beta=0.25, l2_norm=True, ema=False, restart_dead_codes=True, recon_loss='l2')
