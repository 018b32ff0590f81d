"""Writes side-by-side SR results during validation/testing (``tools/test.py --show-dir``)."""
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook

from panguvision.registry import HOOKS
from panguvision.utils.image_io import tensor_to_image


@HOOKS.register_module()
class SRVisualizationHook(Hook):
    """Draws ``[LR | prediction | GT]`` for test samples with the runner's visualiser (an ``SRVisualizer``).

    Args:
        draw: switch (the test tool turns it on with ``--show-dir``).
        interval: draw every ``interval``-th test iteration.
        show_dir: folder (relative to the work dir's timestamp folder, or absolute) for the PNGs; ``None`` sends the
            images to the visualiser's backends instead.
    """

    priority = 'NORMAL'

    def __init__(self, draw: bool = False, interval: int = 1, show_dir: Optional[str] = None):
        self.draw = draw
        self.interval = interval
        self.show_dir = show_dir

    def _draw(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence, split: str) -> None:
        if not self.draw or batch_idx % self.interval:
            return
        folder = None
        if self.show_dir is not None:
            folder = self.show_dir if osp.isabs(self.show_dir) else osp.join(runner.log_dir, self.show_dir)
        for lq, sample in zip(data_batch['inputs'], outputs):
            name = sample.metainfo.get('img_id', f'{split}_{batch_idx}')
            runner.visualizer.add_datasample(
                name,
                tensor_to_image(lq, pixel_range=255.0),
                data_sample=sample,
                out_file=osp.join(folder, f'{name}.png') if folder else None,
                step=runner.iter)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        self._draw(runner, batch_idx, data_batch, outputs, 'val')

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        self._draw(runner, batch_idx, data_batch, outputs, 'test')
