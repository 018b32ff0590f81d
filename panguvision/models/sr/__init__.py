from .base_sr_model import SRModel
from .bicubic_upsampler import BicubicUpsampler
from .dspo import DSPOWrapper
from .eam import PsiDiT
from .hit_sr import HiTSIR, HiTSNG, HiTSRF
from .tiling import tiled_forward

__all__ = ['SRModel', 'BicubicUpsampler', 'DSPOWrapper', 'PsiDiT', 'HiTSIR', 'HiTSNG', 'HiTSRF', 'tiled_forward']
