"""Device-agnostic distributed set-up for mmengine runners (CPU + gloo, CUDA + nccl, NPU + hccl)."""
import os

import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.model import MMDistributedDataParallel

from panguvision.registry import MODEL_WRAPPERS


def prepare_distributed(cfg, launcher: str) -> None:
    """Make ``launcher`` work on the device mmengine picks.

    mmengine 0.10.7's ``init_dist`` for the ``pytorch``/``slurm`` launchers always calls ``torch.cuda.set_device`` when
    no NPU/MLU is present, so it cannot start a CPU-only (gloo) job. On CPU this initialises the process group with
    gloo first (mmengine then skips its own initialisation) and selects :class:`DeviceAgnosticDDP` as the model
    wrapper; on accelerators it changes nothing.
    """
    if launcher == 'none' or get_device() != 'cpu':
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='panguvision.DeviceAgnosticDDP')
    if torch_dist.is_available() and not torch_dist.is_initialized():
        if launcher == 'slurm':
            _export_slurm_env()
        torch_dist.init_process_group(backend='gloo')


def _export_slurm_env() -> None:
    """Translate SLURM variables into the ``env://`` ones torch's rendezvous reads (CPU jobs only)."""
    import subprocess
    os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
    os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
    os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
    if 'MASTER_ADDR' not in os.environ:
        nodes = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(f'scontrol show hostname {nodes} | head -n1')
    os.environ.setdefault('MASTER_PORT', '29500')


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also wraps CPU modules (torch requires ``device_ids=None`` for those)."""

    def __init__(self, module, device_ids=None, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        super().__init__(module=module, device_ids=None if on_cpu else device_ids, **kwargs)


__all__ = ['prepare_distributed', 'DeviceAgnosticDDP']
