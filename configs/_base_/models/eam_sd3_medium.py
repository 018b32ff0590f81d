# EAM on Stable Diffusion 3 medium from a LOCAL diffusers folder (nothing is downloaded): set `sd3_path` (or
# --cfg-options model.pretrained_path=/path/to/stable-diffusion-3-medium-diffusers). The MM-DiT (vae/, transformer/,
# text_encoder{,_2,_3}/, tokenizer{,_2,_3}/) stays frozen; only the Psi-DiT LR streams, their merge layers and the
# mask token are trained.

sd3_path = 'checkpoints/stable-diffusion-3-medium-diffusers'
model = dict(
    type='EAM',
    scale=4,
    pretrained_path=sd3_path,
    use_t5=True,
    frozen_dtype='bfloat16',
    mask_cfg=dict(r_max=0.95, r_min=0.25, anneal_iters=20000, schedule='cosine', token='learned'),
    flow_cfg=dict(shift=3.0, logit_mean=0.0, logit_std=1.0),
    default_prompt='a high-quality, sharp, detailed photograph',
    prompter=dict(type='SubjectPrompter', adapter=dict(type='LanguageAdapter', backend=dict(type='SmolLM2Backend'),
                                                       embed_backend=dict(type='MiniLMEmbeddingBackend'))),
    text_drop_prob=0.1,
    test_cfg=dict(num_steps=28, guidance_scale=4.5, negative_prompt='blurry, noisy, oversmoothed, jpeg artifacts',
                  seed=0, latent_tile=96, latent_tile_overlap=32))
