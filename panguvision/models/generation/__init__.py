"""Image generation: the VQ tokenizer and the IGTR autoregressive transformer."""
from .igtr import *  # noqa: F401,F403
from .igtr import __all__ as _igtr_all
from .vq import *  # noqa: F401,F403
from .vq import __all__ as _vq_all

__all__ = list(_vq_all) + list(_igtr_all)
