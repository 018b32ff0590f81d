"""Monocular metric depth models (UniDepth)."""
from .unidepth import *  # noqa: F401,F403
