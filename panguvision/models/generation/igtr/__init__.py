"""IGTR: Llama-style autoregressive transformer over VQ tokens with reasoning prompts."""
from .igtr_model import IGTR
from .layers import Attention, DecoderBlock, KVCache, apply_rope, llama_ffn_hidden, rope_2d_angles
from .reasoning import DEFAULT_COLORS, ImageLayoutDescriber, ReasoningTokenizer
from .sampling import cfg_combine, generate_tokens, sample_from_logits, top_k_filter, top_p_filter
from .transformer import IGTRTransformer

__all__ = [
    'IGTR', 'IGTRTransformer', 'Attention', 'DecoderBlock', 'KVCache', 'apply_rope', 'llama_ffn_hidden',
    'rope_2d_angles', 'DEFAULT_COLORS', 'ImageLayoutDescriber', 'ReasoningTokenizer', 'cfg_combine',
    'generate_tokens', 'sample_from_logits', 'top_k_filter', 'top_p_filter'
]
