"""The VQ image tokenizer."""
from .quantizer import VectorQuantizer
from .vqgan import PatchDiscriminator, VQDecoder, VQEncoder, VQTokenizer

__all__ = ['VectorQuantizer', 'VQTokenizer', 'VQEncoder', 'VQDecoder', 'PatchDiscriminator']
