"""The shared language-backbone adapter and its backends."""
