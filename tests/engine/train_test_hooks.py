"""Hooks used only by the tests (imported by tools/train.py through ``custom_imports``, with this folder on
PYTHONPATH)."""
import os
import signal

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILLs the training process right after iteration ``kill_iter`` (1-based) finished."""

    priority = 'LOWEST'  # after CheckpointHook has written its file

    def __init__(self, kill_iter: int):
        self.kill_iter = kill_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.kill_iter:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class DumpWeightsHook(Hook):
    """Every rank writes its weights to ``<work_dir>/{initial,final}_rank<r>.pth`` before and after training."""

    def _dump(self, runner, stage: str) -> None:
        model = runner.model.module if hasattr(runner.model, 'module') else runner.model
        torch.save(model.state_dict(), os.path.join(runner.work_dir, f'{stage}_rank{get_rank()}.pth'))

    def before_train(self, runner):
        self._dump(runner, 'initial')

    def after_train(self, runner):
        self._dump(runner, 'final')
