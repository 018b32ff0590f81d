"""Loading Hugging Face models offline, once per process.

Every model the language backends use is loaded through :func:`load_once`: the first call builds it, later calls
with the same key (path, file, dtype, device, ...) return the same object, so several adapters or consumers in one
process share one copy. Nothing is downloaded: ``HF_HUB_OFFLINE=1`` is set (unless the caller set it) and every
``from_pretrained`` gets ``local_files_only=True``. A missing path fails with :class:`MissingWeightsError` naming the
path and, where one exists, the package that provides the weights.
"""
import os
import os.path as osp
import threading
from typing import Callable, Dict, Hashable, Optional

import torch

_LOADED: Dict[Hashable, object] = {}
_LOCK = threading.Lock()


class MissingWeightsError(FileNotFoundError):
    """Weights or model files are not on disk (nothing is ever downloaded)."""


def set_offline() -> None:
    """Forbid Hugging Face Hub downloads in this process (respects a value the user set)."""
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')


def require_path(path: str, what: str, hint: Optional[str] = None) -> str:
    """Return ``path`` if it exists, else raise :class:`MissingWeightsError` naming it and ``hint``."""
    path = os.fspath(path)
    if not osp.exists(path):
        raise MissingWeightsError(f'{what} not found: {path}' + (f'. {hint}' if hint else '') +
                                  ' (nothing is downloaded at run time)')
    return path


def load_once(key: Hashable, build: Callable[[], object]) -> object:
    """``build()`` the first time ``key`` is seen in this process; the cached object afterwards."""
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = build()
        return _LOADED[key]


def loaded_keys() -> list:
    """Keys of the models loaded so far (for tests and diagnostics)."""
    return list(_LOADED)


def resolve_torch_device(device: Optional[str]) -> torch.device:
    """``None`` / ``'auto'`` -> the device mmengine picks (cuda, npu, mps or cpu), else ``torch.device(device)``."""
    if device in (None, 'auto'):
        from mmengine.device import get_device
        device = get_device()
    return torch.device(device)


def resolve_dtype(dtype) -> torch.dtype:
    """``'float32'`` / ``'bfloat16'`` / ``'float16'`` / a ``torch.dtype`` -> ``torch.dtype``."""
    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype), None)
    if not isinstance(value, torch.dtype):
        raise ValueError(f"dtype must be a torch dtype name such as 'float32' or 'bfloat16', got {dtype!r}")
    return value
