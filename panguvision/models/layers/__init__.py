"""Reusable layers, including the Pangu LLM building blocks (MoGE, sandwich norm, ESA, pruning)."""
