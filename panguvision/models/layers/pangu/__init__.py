"""Pangu LLM building blocks: MoGE, depth-scaled sandwich norm + TinyInit, ESA attention, Pangu Light pruning and a
reference transformer following the suite's GPT protocol."""
from .attention import ESAttentionCore, SDPAttentionCore
from .moge import MoGEFeedForward, PanguSwiGLU
from .pruning import (clap_merge_, collect_importance, prune_ffn_neurons_, prune_heads_, prune_layers_, prune_model_,
                      prune_width_, slnp_prune_norm_)
from .reference_transformer import PanguAttention, PanguDecoderBlock, PanguReferenceLM, count_parameters
from .sandwich_norm import init_sandwich_post_norm_, sandwich_post_norm_gain, tiny_init_, tiny_init_std

__all__ = [
    'SDPAttentionCore', 'ESAttentionCore', 'MoGEFeedForward', 'PanguSwiGLU', 'collect_importance', 'prune_heads_',
    'prune_ffn_neurons_', 'prune_width_', 'prune_layers_', 'prune_model_', 'clap_merge_', 'slnp_prune_norm_',
    'PanguAttention', 'PanguDecoderBlock', 'PanguReferenceLM', 'count_parameters', 'init_sandwich_post_norm_',
    'sandwich_post_norm_gain', 'tiny_init_', 'tiny_init_std'
]
