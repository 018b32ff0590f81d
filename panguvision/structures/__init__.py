from .sr_data_sample import SRDataSample

__all__ = ['SRDataSample']
