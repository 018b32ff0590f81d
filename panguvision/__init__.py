"""PanguVision: a computer-vision suite on the OpenMMLab stack.

Importing the package is cheap: it registers nothing and imports no heavy optional library. Registries resolve their
modules lazily through the ``locations`` declared in :mod:`panguvision.registry`.
"""
from .version import __version__

__all__ = ['__version__']
