"""EAM (Enhancing Anything Model): blind SR on a diffusion transformer."""
from .eam_model import EAM, mask_ratio_at, tiny_vae_config
from .latent_tiling import sine_window, tiled_denoise
from .prompting import EXAMPLE_BANK, SubjectPrompter
from .psi_dit import LRStream, PsiDiT, tiny_sd3_config
from .text_encoding import ByteTokenizer, SD3TextEncoder, tiny_text_encoder

__all__ = [
    'EAM', 'mask_ratio_at', 'tiny_vae_config', 'sine_window', 'tiled_denoise', 'EXAMPLE_BANK', 'SubjectPrompter',
    'LRStream', 'PsiDiT', 'tiny_sd3_config', 'ByteTokenizer', 'SD3TextEncoder', 'tiny_text_encoder'
]
