from .depth_data_preprocessor import DepthDataPreprocessor
from .sr_data_preprocessor import SRDataPreprocessor

__all__ = ['SRDataPreprocessor']
__all__ += ['DepthDataPreprocessor']
