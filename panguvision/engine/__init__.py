"""Training machinery: hooks, loops, distributed helpers. Importing it also installs the project's checkpoint
policy (see :mod:`panguvision.utils.checkpoint`), since any runner that reaches these classes saves and loads
checkpoints."""
from panguvision.utils.checkpoint import install_checkpoint_policy
from .dist import DeviceAgnosticDDP, prepare_distributed
from .hooks import *  # noqa: F401,F403
from .runner import *  # noqa: F401,F403

install_checkpoint_policy()

__all__ = ['DeviceAgnosticDDP', 'prepare_distributed', 'install_checkpoint_policy']
