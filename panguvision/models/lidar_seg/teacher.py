"""A mean teacher (Tarvainen & Valpola, NeurIPS 2017) for the pseudo-labels of the semi-supervised LiDAR segmentor.

The teacher is an exponential moving average of the student's weights, ``teacher <- m * teacher + (1 - m) * student``
after every student step, with Mean Teacher's warm-up ``m_t = min(m, 1 - 1 / (t + 1))`` (``t`` = updates since the
copy): the first update copies the student and the early teacher is the plain mean of the students seen so far, so
that a short run is not dominated by the weights of the copy. The teacher gets no gradients; it labels the unlabelled
scans, the student learns from those labels, and because the teacher moves slowly a mistake of one student step is not
immediately fed back to the next one (the confirmation bias of self-training).
"""
from typing import Optional

import torch
from mmengine.model import ExponentialMovingAverage
from torch import Tensor, nn

__all__ = ['MeanTeacher']


class MeanTeacher(ExponentialMovingAverage):
    """EMA copy of ``model`` with Mean Teacher's momentum warm-up; built on ``mmengine.model.ExponentialMovingAverage``.

    Args:
        model (nn.Module): the student (its current weights are copied at the first :meth:`update_parameters`).
        momentum (float): the *decay* ``m`` of the average (0.99 - 0.999 in Mean Teacher / LaserMix). Note that
            mmengine's ``ExponentialMovingAverage(momentum=...)`` means ``1 - m``; here ``m`` is the teacher's weight.
        warmup (bool): use ``min(m, 1 - 1 / (t + 1))`` (True) or ``m`` from the second update on (False).
        device (torch.device, optional): where the copy lives; default that of ``model``.

    Buffers (BatchNorm statistics) are copied from the student at every update (``update_buffers=False``), as in
    mmengine's ``EMAHook``; the teacher is meant to run in eval mode. ``steps`` (a buffer, so saved in checkpoints)
    counts the updates.
    """

    def __init__(self, model: nn.Module, momentum: float = 0.99, warmup: bool = True,
                 device: Optional[torch.device] = None) -> None:
        if not 0.0 < momentum < 1.0:
            raise ValueError(f'teacher momentum (the weight of the old teacher) must be in (0, 1), got {momentum}')
        super().__init__(model, momentum=0.5, interval=1, device=device, update_buffers=False)
        self.decay = momentum
        self.warmup = warmup
        self.module.eval()

    def current_decay(self, steps: int) -> float:
        """The weight of the old teacher at update number ``steps`` (>= 1; update 0 is the copy)."""
        return min(self.decay, 1.0 - 1.0 / (steps + 1)) if self.warmup else self.decay

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        """In place: ``averaged = decay * averaged + (1 - decay) * source``."""
        averaged_param.lerp_(source_param, 1.0 - self.current_decay(int(steps)))

    def train(self, mode: bool = True) -> 'MeanTeacher':
        """The copy stays in eval mode (no dropout, BatchNorm with the copied running statistics)."""
        super().train(mode)
        self.module.eval()
        return self
