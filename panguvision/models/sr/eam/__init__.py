"""EAM (Enhancing Anything Model): blind SR on a diffusion transformer."""
from .psi_dit import LRStream, PsiDiT, tiny_sd3_config

__all__ = ['LRStream', 'PsiDiT', 'tiny_sd3_config']
