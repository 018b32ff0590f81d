"""Reusable layers, including the Pangu LLM building blocks (MoGE, sandwich norm, ESA, pruning)."""
from .pangu import *  # noqa: F401,F403
