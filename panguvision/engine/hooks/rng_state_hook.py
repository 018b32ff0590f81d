"""Store the random-number generators' states in every checkpoint and hand them back on resume."""
from mmengine.hooks import Hook

from panguvision.registry import HOOKS
from panguvision.utils.random_state import capture_rng_state

#: message-hub key under which the resumed state waits for ``ResumableIterBasedTrainLoop``.
RESUMED_RNG_STATE_KEY = 'panguvision.resumed_rng_state'


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves Python/numpy/torch/accelerator RNG states into ``checkpoint['rng_state']``.

    Restoring must happen after the train loop has replayed the data loader to the resume point (that replay draws
    random augmentation parameters), so on load this hook only parks the state in the message hub, and
    :class:`~panguvision.engine.runner.ResumableIterBasedTrainLoop` restores it at the right moment.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = capture_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'rng_state' in checkpoint:
            runner.message_hub.update_info(RESUMED_RNG_STATE_KEY, checkpoint['rng_state'], resumed=False)
