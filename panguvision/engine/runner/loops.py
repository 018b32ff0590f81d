"""Training loops."""
import logging

from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from panguvision.engine.hooks.rng_state_hook import RESUMED_RNG_STATE_KEY
from panguvision.registry import LOOPS
from panguvision.utils.random_state import restore_rng_state


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop`` whose resumed runs are bit-identical to uninterrupted ones.

    On resume mmengine replays the data loader to the saved iteration, but the generators then hold whatever state
    the replay and the model's construction left, not the state of the interrupted run. This loop restores the
    states that :class:`~panguvision.engine.hooks.RNGStateHook` saved, right after the replay and before the first
    new batch is drawn. Exactness also needs deterministic kernels (CPU, or ``randomness.deterministic=True``).
    """

    def run(self):
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(f'Advance dataloader {self._iter} steps to skip data that has already been trained',
                      logger='current', level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)
            rng_state = self.runner.message_hub.get_info(RESUMED_RNG_STATE_KEY)
            if rng_state is None:
                print_log('The checkpoint holds no RNG state (add RNGStateHook to custom_hooks); the resumed run '
                          'continues with different random augmentations than an uninterrupted one.',
                          logger='current', level=logging.WARNING)
            else:
                restore_rng_state(rng_state)
                self.runner.message_hub.pop_info(RESUMED_RNG_STATE_KEY)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
