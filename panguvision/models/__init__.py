"""Models. Importing this package registers every model class in ``panguvision.registry.MODELS``; the registry does
it lazily the first time a model is built in the ``panguvision`` scope. Heavy optional libraries (diffusers,
segment-anything, open3d, transformers, timm) are imported inside the functions that use them, never here."""
from .data_preprocessors import *  # noqa: F401,F403
from .depth import *  # noqa: F401,F403
from .generation import *  # noqa: F401,F403
from .language import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .lidar_seg import *  # noqa: F401,F403
from .sr import *  # noqa: F401,F403
from .tracking import *  # noqa: F401,F403
