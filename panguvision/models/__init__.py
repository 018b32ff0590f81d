"""Models. Importing this package registers every model class in ``panguvision.registry.MODELS``; the registry does
it lazily the first time a model is built in the ``panguvision`` scope."""
from .data_preprocessors import *  # noqa: F401,F403
from .sr import *  # noqa: F401,F403
