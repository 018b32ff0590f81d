# IGTR on LlamaGen GPT-L (dim 1024, 24 layers, 16 heads: 343M parameters in the transformer), ImageNet 256.
_base_ = ['./igtr_gpt_b_imagenet256.py']
model = dict(transformer=dict(dim=1024, depth=24, num_heads=16))
