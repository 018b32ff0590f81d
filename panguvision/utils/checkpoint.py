"""The project's one checkpoint policy: what may be unpickled, how weights files are read, how files are written.

Why this module exists: mmengine 0.10.7 calls ``torch.load(path)`` without ``weights_only``; torch >= 2.6 defaults
that to ``True`` and then refuses mmengine's own checkpoints (they hold ``HistoryBuffer`` objects and numpy arrays),
so resuming fails. The fix must not be a blanket ``weights_only=False``, which would execute arbitrary code from any
downloaded ``.pth``. The policy is:

* **everything** is loaded with ``weights_only=True``;
* the exact classes mmengine stores in a training checkpoint (``HistoryBuffer``, numpy arrays, dtypes and scalars)
  are added to torch's safe-globals allow-list, and ``HistoryBuffer`` is pickled as plain data (see
  :func:`_reduce_history_buffer`), so the project's own checkpoints resume;
* a pickle that references anything else (``os.system``, ``builtins.eval``, ...) is refused with an error naming the
  file;
* ``.safetensors`` files are read with safetensors, and the BasicSR layout (``{'params': ..., 'params_ema': ...}``)
  is unwrapped, so released weights load unchanged;
* mmengine's local file backend writes atomically (temporary file in the same folder, fsync, ``os.replace``), so a
  crash while saving never leaves a truncated checkpoint or ``last_checkpoint`` pointing at one.

Call :func:`install_checkpoint_policy` once per process (the tools, the APIs and ``panguvision.engine`` do).
"""
import os
import os.path as osp
import pickle
import tempfile
from collections import OrderedDict
from typing import Dict, Optional, Union

import numpy as np
import torch

_INSTALLED = False

#: BasicSR stores weights under these keys; the EMA weights are the ones the authors evaluate.
BASICSR_KEYS = ('params_ema', 'params')


def trusted_checkpoint_globals() -> list:
    """The classes (beyond torch's defaults) that an mmengine training checkpoint legitimately pickles."""
    from mmengine.logging import HistoryBuffer
    try:  # numpy >= 2, and numpy 1.26's forward-compatible alias (``np._core`` alone is order-dependent there)
        from numpy._core import multiarray
    except ImportError:  # numpy < 1.26
        from numpy.core import multiarray
    allowed = [
        HistoryBuffer,
        multiarray._reconstruct,
        multiarray.scalar,
        np.ndarray,
        np.dtype,
    ]
    # The concrete dtype classes (numpy >= 1.25 pickles dtypes through them).
    for name in ('float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32',
                 'uint64', 'bool_'):
        allowed.append(type(np.dtype(getattr(np, name))))
    return allowed


class CheckpointLoadError(RuntimeError):
    """A weights or checkpoint file could not be read under the project's policy."""


def torch_load_safe(path: Union[str, os.PathLike], map_location='cpu'):
    """``torch.load`` with ``weights_only=True`` and the project's allow-list; clear errors naming the file."""
    install_checkpoint_policy()
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        lines = [line.strip() for line in str(err).splitlines() if 'GLOBAL' in line or 'Unsupported' in line]
        raise CheckpointLoadError(
            f'{path}: refused to unpickle it with weights_only=True. It references objects outside the allow-list '
            f'of tensors, containers and the classes mmengine checkpoints store, so loading it could execute code. '
            f'If you trust the file, convert it to .safetensors. torch said: {" ".join(lines[:2]) or err}') from err


def load_weights_file(path: Union[str, os.PathLike],
                      key: Optional[str] = None,
                      map_location='cpu') -> Dict[str, torch.Tensor]:
    """Read a state dict from ``.pth``/``.pt``/``.ckpt`` (weights-only) or ``.safetensors``.

    Args:
        path: the file.
        key: which entry holds the state dict (``'state_dict'``, ``'params'``, ``'params_ema'``). ``None`` picks
            ``state_dict``, then ``params_ema``, then ``params``, then the file itself if it is a flat tensor dict.
        map_location: as in :func:`torch.load`.

    Returns:
        An ordered ``{name: tensor}`` dict.
    """
    path = os.fspath(path)
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        if not osp.isfile(path):
            raise FileNotFoundError(f'weights file not found: {path}')
        device = map_location if isinstance(map_location, str) else 'cpu'
        return OrderedDict(load_file(path, device=device))
    obj = torch_load_safe(path, map_location=map_location)
    if not isinstance(obj, dict):
        raise CheckpointLoadError(f'{path}: expected a dict of tensors, got {type(obj).__name__}')
    candidates = [key] if key is not None else ['state_dict', *BASICSR_KEYS]
    for name in candidates:
        if name in obj:
            if not isinstance(obj[name], dict):
                raise CheckpointLoadError(f'{path}: entry {name!r} is a {type(obj[name]).__name__}, expected a dict')
            return OrderedDict(obj[name])
    if key is not None:
        raise CheckpointLoadError(f'{path}: no key {key!r}; top-level keys are {sorted(obj)[:10]}')
    if all(isinstance(v, torch.Tensor) for v in obj.values()):
        return OrderedDict(obj)
    raise CheckpointLoadError(f'{path}: no state dict found; expected one of {candidates} or a flat tensor dict, '
                              f'top-level keys are {sorted(obj)[:10]}')


def _load_from_local_policy(filename: str, map_location):
    """mmengine ``CheckpointLoader`` scheme for local files, under the project's policy.

    mmengine checkpoints come back unchanged (resume needs ``meta``, ``optimizer`` ...). Released weights in the
    BasicSR layout or as safetensors come back as ``{'state_dict': ...}``, which mmengine's loaders understand.
    """
    filename = osp.expanduser(filename)
    if filename.endswith('.safetensors'):
        return {'state_dict': load_weights_file(filename, map_location=map_location)}
    checkpoint = torch_load_safe(filename, map_location=map_location)
    if isinstance(checkpoint, dict) and 'state_dict' not in checkpoint and any(k in checkpoint for k in BASICSR_KEYS):
        return {'state_dict': load_weights_file(filename, map_location=map_location)}
    return checkpoint


def atomic_write_bytes(data: bytes, path: Union[str, os.PathLike]) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the complete new one."""
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_torch_save(obj, path: Union[str, os.PathLike]) -> None:
    """``torch.save(obj, path)`` through :func:`atomic_write_bytes`: an interrupted save leaves the old file."""
    import io
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(buffer.getvalue(), path)


def _atomic_local_backend():
    from mmengine.fileio.backends import LocalBackend

    class AtomicLocalBackend(LocalBackend):
        """mmengine's local backend whose writes are atomic (used for checkpoints and ``last_checkpoint``)."""

        def put(self, obj: bytes, filepath) -> None:
            atomic_write_bytes(obj, filepath)

        def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
            atomic_write_bytes(obj.encode(encoding), filepath)

    return AtomicLocalBackend


def _reduce_history_buffer(buffer):
    """Pickle a ``HistoryBuffer`` as a constructor call on its arrays.

    Its default pickling also stores the class's statistics methods through ``builtins.getattr``; allowing ``getattr``
    in the weights-only unpickler would widen the allow-list far beyond data, so the project's checkpoints store only
    the data and rebuild the buffer with its public constructor.
    """
    return type(buffer), (buffer._log_history, buffer._count_history, buffer.max_length)


def install_checkpoint_policy() -> None:
    """Install the policy into torch and mmengine (idempotent, process-wide)."""
    global _INSTALLED
    if _INSTALLED:
        return
    import copyreg

    from mmengine.fileio import io as mmengine_io
    from mmengine.fileio.backends import register_backend
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import CheckpointLoader
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    torch.serialization.add_safe_globals(trusted_checkpoint_globals())
    CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local_policy, force=True)
    register_backend('local', _atomic_local_backend(), force=True, prefixes='')
    mmengine_io.backend_instances.clear()  # drop cached non-atomic instances
    _INSTALLED = True
