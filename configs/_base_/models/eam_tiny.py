# EAM with a tiny random SD3 transformer (Psi-DiT), a tiny random VAE and a tiny random CLIP text encoder, all built in
# code: for tests and CPU runs (nothing is downloaded). The SD3 configs load a local folder.
# The VAE downsamples by 2 (two encoder blocks) into 16 channels (SD3's latent width) and has no attention in its
# middle block: a factor-4, 4-channel tiny VAE reconstructed HR crops only at 21-23 dB, below bicubic on the degraded
# test set, which caps every model decoded from its latent (configs/eam/README.md).
model = dict(
    type='EAM',
    scale=4,
    transformer=dict(
        type='PsiDiT',
        base=dict(sample_size=32, patch_size=2, in_channels=16, num_layers=2, attention_head_dim=16,
                  num_attention_heads=2, joint_attention_dim=32, caption_projection_dim=32, pooled_projection_dim=24,
                  out_channels=16, pos_embed_max_size=16)),
    vae=dict(in_channels=3, out_channels=3, down_block_types=('DownEncoderBlock2D', ) * 2,
             up_block_types=('UpDecoderBlock2D', ) * 2, block_out_channels=(16, 32), layers_per_block=1,
             latent_channels=16, norm_num_groups=4, sample_size=64, mid_block_add_attention=False),
    text_encoder=dict(max_length=32),  # tiny CLIP sized to the transformer (joint 32, pooled 24)
    mask_cfg=dict(r_max=0.95, r_min=0.25, anneal_iters=1000, schedule='cosine', token='learned'),
    flow_cfg=dict(shift=1.0, logit_mean=0.0, logit_std=1.0),
    default_prompt='a sharp, detailed photograph',
    prompter=dict(type='SubjectPrompter', adapter=dict(type='LanguageAdapter',
                                                       backend=dict(type='FallbackLanguageBackend'))),
    text_drop_prob=0.1,
    # Latent tiles of the training crops' size (64 px HR -> 32 latent -> 16x16 tokens): the positional embeddings
    # seen in training.
    test_cfg=dict(num_steps=8, guidance_scale=1.0, negative_prompt='blurry, noisy, oversmoothed', seed=0,
                  start_sigma=1.0, latent_tile=32, latent_tile_overlap=8))
