"""Low-level helpers shared by every layer (no imports of datasets/models/evaluation here)."""
from .checkpoint import install_checkpoint_policy, load_weights_file, torch_load_safe
from .random_state import capture_rng_state, restore_rng_state

__all__ = [
    'install_checkpoint_policy', 'load_weights_file', 'torch_load_safe', 'capture_rng_state', 'restore_rng_state'
]
