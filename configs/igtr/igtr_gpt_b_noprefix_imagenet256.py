# Ablation: the same GPT-B model and schedule without reasoning prompts (plain LlamaGen-style generation).
_base_ = ['./igtr_gpt_b_imagenet256.py']
model = dict(use_reasoning_prefix=False)
