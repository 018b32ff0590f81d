"""HiT-SR networks (Zhang et al., ECCV 2024): HiT-SIR, HiT-SNG and HiT-SRF, checkpoint-compatible with the
official release."""
from .hit_sir import HiTSIR
from .hit_sng import HiTSNG
from .hit_srf import HiTSRF

__all__ = ['HiTSIR', 'HiTSNG', 'HiTSRF']
