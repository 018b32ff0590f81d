"""DSPO: instance-level Diffusion-DPO preference alignment for diffusion SR."""
from .dspo_loss import area_weights, dspo_loss, masked_denoising_errors, masks_to_latent

__all__ = ['area_weights', 'dspo_loss', 'masked_denoising_errors', 'masks_to_latent']
