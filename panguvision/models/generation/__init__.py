"""Image generation: the VQ tokenizer and IGTR autoregressive transformer."""
