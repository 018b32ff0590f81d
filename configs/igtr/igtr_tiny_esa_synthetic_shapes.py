# The tiny IGTR with efficient selective attention (ESA) as the attention core: each query attends 2 initial tokens,
# the 8 best-scoring middle tokens and the 8 preceding ones (the 42-token sequence is short, so this mostly shows
# the switch; ESA pays off on long sequences).
_base_ = ['./igtr_tiny_synthetic_shapes.py']
model = dict(
    transformer=dict(attn_core=dict(type='ESAttentionCore', top_k=8, num_initial=2, num_local=8, compress_dim=16)))
