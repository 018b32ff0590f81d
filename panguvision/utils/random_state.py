"""Capture and restore every random-number generator a training process uses (for exact resume)."""
import random
from typing import Any, Dict

import numpy as np
import torch


def _accelerator_modules():
    """``(name, module)`` for the accelerators present with their own RNG (cuda, npu)."""
    found = []
    for name in ('cuda', 'npu'):
        module = getattr(torch, name, None)
        if module is not None and module.is_available():
            found.append((name, module))
    return found


def capture_rng_state() -> Dict[str, Any]:
    """Return the states of Python's, numpy's, torch's CPU and each accelerator's generators."""
    state = {
        'python': random.getstate(),
        'numpy': np.random.get_state(),
        'torch': torch.get_rng_state(),
    }
    for name, module in _accelerator_modules():
        state[name] = module.get_rng_state_all()
    return state


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state`; accelerator states are restored when that accelerator is present."""
    random.setstate(_as_python_state(state['python']))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'].cpu())
    for name, module in _accelerator_modules():
        if name in state:
            module.set_rng_state_all([s.cpu() for s in state[name]])


def _as_python_state(state):
    # After a torch.save/torch.load round trip, the tuple nested in random's state may come back as a list.
    version, internal, gauss = state
    return version, tuple(internal), gauss
