# EAM with a tiny random SD3 transformer (Psi-DiT), a tiny random VAE (factor 4, 4 channels) and a tiny random CLIP
# text encoder, all built in code: for tests and CPU runs (nothing is downloaded). The SD3 configs load a local folder.
model = dict(
    type='EAM',
    scale=4,
    transformer=dict(
        type='PsiDiT',
        base=dict(sample_size=16, patch_size=2, in_channels=4, num_layers=2, attention_head_dim=8,
                  num_attention_heads=2, joint_attention_dim=32, caption_projection_dim=16, pooled_projection_dim=24,
                  out_channels=4, pos_embed_max_size=16)),
    vae=dict(in_channels=3, out_channels=3, down_block_types=('DownEncoderBlock2D', ) * 3,
             up_block_types=('UpDecoderBlock2D', ) * 3, block_out_channels=(8, 16, 16), layers_per_block=1,
             latent_channels=4, norm_num_groups=4, sample_size=64),
    text_encoder=dict(max_length=32),  # tiny CLIP sized to the transformer (joint 32, pooled 24)
    mask_cfg=dict(r_max=0.95, r_min=0.25, anneal_iters=1000, schedule='cosine', token='learned'),
    flow_cfg=dict(shift=1.0, logit_mean=0.0, logit_std=1.0),
    default_prompt='a sharp, detailed photograph',
    prompter=dict(type='SubjectPrompter', adapter=dict(type='LanguageAdapter',
                                                       backend=dict(type='FallbackLanguageBackend'))),
    text_drop_prob=0.1,
    # Latent tiles of the training crops' size (64 px HR -> 16 latent): the positional embeddings seen in training.
    test_cfg=dict(num_steps=8, guidance_scale=1.0, negative_prompt='blurry, noisy, oversmoothed', seed=0,
                  latent_tile=16, latent_tile_overlap=8))
