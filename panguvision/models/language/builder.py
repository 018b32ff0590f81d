"""Build a language adapter from ``None``, a preset name, a config dict or an existing adapter."""
import copy
from typing import Union

from panguvision.registry import MODELS
from .adapter import LanguageAdapter

#: Named adapter configs (the demo's ``--backend`` choices).
LANGUAGE_PRESETS = dict(
    fallback=dict(type='LanguageAdapter', backend=dict(type='FallbackLanguageBackend')),
    smollm2=dict(type='LanguageAdapter', backend=dict(type='SmolLM2Backend')),
    minilm=dict(type='LanguageAdapter', backend=dict(type='FallbackLanguageBackend'),
                embed_backend=dict(type='MiniLMEmbeddingBackend')),
    smollm2_minilm=dict(type='LanguageAdapter', backend=dict(type='SmolLM2Backend'),
                        embed_backend=dict(type='MiniLMEmbeddingBackend')),
    tiny=dict(type='LanguageAdapter', backend=dict(type='TinyRandomHFBackend')),
)


def build_language_adapter(cfg: Union[None, str, dict, LanguageAdapter] = None) -> LanguageAdapter:
    """``None`` -> the fallback adapter (no weights); a preset name of :data:`LANGUAGE_PRESETS`; a config dict
    (``type`` defaults to ``'LanguageAdapter'``; a dict whose ``type`` is a backend is wrapped as the adapter's
    ``backend``); an adapter is returned as it is."""
    if isinstance(cfg, LanguageAdapter):
        return cfg
    if cfg is None:
        return LanguageAdapter()
    if isinstance(cfg, str):
        if cfg not in LANGUAGE_PRESETS:
            raise KeyError(f'unknown language adapter preset {cfg!r}; expected one of {sorted(LANGUAGE_PRESETS)}')
        cfg = LANGUAGE_PRESETS[cfg]
    if not isinstance(cfg, dict):
        raise TypeError(f'build_language_adapter expects None, a preset name or a config dict, got {type(cfg)}')
    cfg = copy.deepcopy(dict(cfg))
    cfg.setdefault('type', 'LanguageAdapter')
    if cfg['type'] != 'LanguageAdapter' and str(cfg['type']).endswith('Backend'):
        cfg = dict(type='LanguageAdapter', backend=cfg)
    return MODELS.build(cfg)
