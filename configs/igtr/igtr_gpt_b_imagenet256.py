# IGTR on LlamaGen GPT-B (dim 768, 12 layers, 12 heads: 111M parameters in the transformer) with the VQ-16
# tokenizer, ImageNet 256 (16x16 tokens), class-conditional with reasoning prompts. LlamaGen recipe: AdamW lr 1e-4,
# betas (0.9, 0.95), weight decay 0.05, batch 256 (8 x 32), grad clip 1.0, 300 epochs ~ 1.5M iterations, CFG 2.0.
# Data and runtime come from the tokenizer's config; set model.tokenizer_ckpt to the trained VQ-16 weights.
_base_ = ['./vq16_imagenet256.py']
model = dict(
    _delete_=True,
    type='IGTR',
    tokenizer={{_base_.model}},
    tokenizer_ckpt=None,
    image_size=256,
    use_reasoning_prefix=True,
    transformer=dict(type='IGTRTransformer', dim=768, depth=12, num_heads=12, num_classes=1000, multiple_of=256),
    cond_drop_prob=0.1,
    sampling_cfg=dict(cfg_scale=2.0, temperature=1.0, top_k=0, top_p=1.0, use_kv_cache=True),
    test_cfg=dict(compute_nll=True, sample=True))
train_pipeline = [
    dict(type='LoadGenerationImage'),
    dict(type='ResizeCenterCrop', size=256),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackGenerationInputs', with_gt=False),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_evaluator = [dict(type='GenerationMetric', check_shape=False)]
test_evaluator = val_evaluator
train_cfg = dict(max_iters=1500000, val_interval=50000)
optim_wrapper = dict(optimizer=dict(lr=1e-4, betas=(0.9, 0.95), weight_decay=0.05), clip_grad=dict(max_norm=1.0))
default_hooks = dict(checkpoint=dict(interval=50000))
