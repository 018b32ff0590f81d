"""MASA: Matching Anything by Segmenting Anything (adapter, track head, tracker)."""
