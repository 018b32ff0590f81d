# Tiny IGTR for 24x24 synthetic shapes: the tiny VQ tokenizer (6x6 tokens) and a 4-layer, 128-wide Llama-style
# transformer (0.88M parameters), 3 classes.
_base_ = ['./igtr_vq_tiny.py']
model = dict(
    _delete_=True,
    type='IGTR',
    tokenizer={{_base_.model}},
    tokenizer_ckpt=None,
    image_size=24,
    use_reasoning_prefix=True,
    use_language_adapter=True,
    class_names=('circle', 'square', 'triangle'),
    transformer=dict(type='IGTRTransformer', dim=128, depth=4, num_heads=4, num_classes=3, multiple_of=32),
    cond_drop_prob=0.1,
    sampling_cfg=dict(cfg_scale=1.5, temperature=0.7, top_k=0, top_p=1.0, use_kv_cache=True),
    test_cfg=dict(compute_nll=True, sample=True, seed=0))
