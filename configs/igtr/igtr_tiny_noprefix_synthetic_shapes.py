# The ablation of igtr_tiny_synthetic_shapes.py: the same model and schedule without reasoning prompts.
_base_ = ['./igtr_tiny_synthetic_shapes.py']
model = dict(use_reasoning_prefix=False)
