"""The checkpoint policy: weights-only loading with an allow-list, released-weight layouts, atomic writes."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from panguvision.utils.checkpoint import (CheckpointLoadError, atomic_torch_save, atomic_write_bytes,
                                          install_checkpoint_policy, load_weights_file, torch_load_safe)


class _Payload:
    """Unpickling this runs ``os.system``: the classic malicious .pth."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_code_executing_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': _Payload(marker)}, path)
    with pytest.raises(CheckpointLoadError, match='evil.pth'):
        torch_load_safe(path)
    assert not marker.exists()
    # mmengine's own loader goes through the same policy.
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(CheckpointLoadError):
        _load_checkpoint(str(path))
    assert not marker.exists()


def test_mmengine_training_state_is_allowed(tmp_path):
    """What a Runner checkpoint holds: message hub with HistoryBuffers, numpy arrays/scalars, RNG states."""
    install_checkpoint_policy()
    hub = MessageHub.get_instance('test_checkpoint_policy')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/lr', 1e-3)
    hub.update_info('iter', 7)
    checkpoint = {
        'meta': {'iter': 7, 'seed': np.int64(3), 'dataset_meta': {'classes': ('a', 'b')}},
        'state_dict': {'w': torch.randn(3)},
        'message_hub': hub.state_dict(),
        'numpy_rng': np.random.get_state(),
        'arrays': [np.arange(3).astype(dt) for dt in (np.float32, np.float64, np.int64, np.uint8, np.bool_)],
    }
    path = tmp_path / 'iter_7.pth'
    torch.save(checkpoint, path)
    loaded = torch_load_safe(path)
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    assert loaded['message_hub']['log_scalars']['train/loss'].current() == 0.5
    assert np.array_equal(loaded['numpy_rng'][1], checkpoint['numpy_rng'][1])
    assert torch.equal(loaded['state_dict']['w'], checkpoint['state_dict']['w'])


def test_released_weight_layouts(tmp_path):
    sd = {'conv_first.weight': torch.randn(2, 3, 3, 3), 'conv_first.bias': torch.randn(2)}
    ema = {k: v + 1 for k, v in sd.items()}
    torch.save({'params': sd, 'params_ema': ema}, tmp_path / 'basicsr.pth')
    torch.save(sd, tmp_path / 'flat.pth')
    from safetensors.torch import save_file
    save_file(sd, str(tmp_path / 'hf.safetensors'))

    assert torch.equal(load_weights_file(tmp_path / 'basicsr.pth')['conv_first.bias'], ema['conv_first.bias'])
    plain = load_weights_file(tmp_path / 'basicsr.pth', key='params')
    assert torch.equal(plain['conv_first.bias'], sd['conv_first.bias'])
    assert torch.equal(load_weights_file(tmp_path / 'flat.pth')['conv_first.weight'], sd['conv_first.weight'])
    assert torch.equal(load_weights_file(tmp_path / 'hf.safetensors')['conv_first.weight'], sd['conv_first.weight'])
    with pytest.raises(CheckpointLoadError, match="no key 'nope'"):
        load_weights_file(tmp_path / 'basicsr.pth', key='nope')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_weights_file(tmp_path / 'missing.pth')

    # mmengine's loader sees both layouts as {'state_dict': ...}.
    from mmengine.runner.checkpoint import _load_checkpoint
    install_checkpoint_policy()
    assert torch.equal(_load_checkpoint(str(tmp_path / 'basicsr.pth'))['state_dict']['conv_first.bias'],
                       ema['conv_first.bias'])
    assert set(_load_checkpoint(str(tmp_path / 'hf.safetensors'))['state_dict']) == set(sd)


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.pth'
    atomic_write_bytes(b'old', path)

    def broken_fsync(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', broken_fsync)
    with pytest.raises(OSError, match='disk full'):
        atomic_write_bytes(b'new-but-truncated', path)
    assert path.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['ckpt.pth']  # no temporary left behind


def test_atomic_torch_save_round_trips_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'w.pth'
    atomic_torch_save({'state_dict': {'w': torch.arange(3.0)}}, path)
    assert torch.equal(torch_load_safe(path)['state_dict']['w'], torch.arange(3.0))
    monkeypatch.setattr(os, 'fsync', lambda fd: (_ for _ in ()).throw(OSError('disk full')))
    with pytest.raises(OSError, match='disk full'):
        atomic_torch_save({'state_dict': {'w': torch.zeros(3)}}, path)
    assert torch.equal(torch_load_safe(path)['state_dict']['w'], torch.arange(3.0))
    assert [p.name for p in tmp_path.iterdir()] == ['w.pth']


def test_mmengine_writes_through_the_atomic_backend(tmp_path, monkeypatch):
    install_checkpoint_policy()
    from mmengine.fileio import get_file_backend
    backend = get_file_backend(str(tmp_path / 'x'))
    calls = []
    monkeypatch.setattr('panguvision.utils.checkpoint.atomic_write_bytes', lambda d, p: calls.append(p))
    backend.put(b'abc', str(tmp_path / 'x'))
    backend.put_text('abc', str(tmp_path / 'last_checkpoint'))
    assert calls == [str(tmp_path / 'x'), str(tmp_path / 'last_checkpoint')]


def test_pickle_module_is_not_used_for_safetensors(tmp_path, monkeypatch):
    from safetensors.torch import save_file
    save_file({'w': torch.ones(2)}, str(tmp_path / 'w.safetensors'))
    monkeypatch.setattr(pickle, 'load', lambda *a, **k: pytest.fail('pickle used for safetensors'))
    assert torch.equal(load_weights_file(tmp_path / 'w.safetensors')['w'], torch.ones(2))
