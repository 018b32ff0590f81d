from .sr_data_preprocessor import SRDataPreprocessor

__all__ = ['SRDataPreprocessor']
