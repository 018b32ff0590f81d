"""Monocular metric depth models (UniDepth)."""
