"""DSPO: instance-level Diffusion-DPO preference alignment for diffusion SR."""
from .dspo_loss import area_weights, dspo_loss, masked_denoising_errors, masks_to_latent
from .dspo_wrapper import DSPOWrapper

__all__ = ['DSPOWrapper', 'area_weights', 'dspo_loss', 'masked_denoising_errors', 'masks_to_latent']
