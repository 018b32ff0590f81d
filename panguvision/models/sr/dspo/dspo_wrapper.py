"""DSPO training wrapper: aligns any diffusion SR model of the suite with instance-level preferences.

The wrapped model keeps its architecture: the wrapper holds it as ``policy`` (trained) and a frozen deep copy as
``reference``; :meth:`DSPOWrapper.aligned_state_dict` returns the policy's own state dict, which loads strictly back
into the plain model. A model plugs in by implementing the *diffusion-SR protocol* (multi-step models such as EAM and
one-step models alike: both train a denoiser, which is all the Diffusion-DPO objective looks at):

* ``encode_images(images)``: ``(N, 3, H, W)`` in ``[0, 1]`` -> latents ``(N, C, h, w)`` (identity for pixel models);
* ``encode_condition(lq, prompt, negative_prompt)``: the conditioning of one LQ image ``(1, 3, h0, w0)`` in
  ``[0, 1]`` with its text (any object ``denoise`` understands);
* ``sample_timesteps(n, generator)``: ``(n,)`` timesteps of the model's training schedule;
* ``noisy_and_target(latents, noise, t)``: the noised latents and the regression target (noise, velocity, ...);
* ``denoise(noisy, t, condition)``: the prediction compared with the target.

Each training sample is one LQ image: all its candidates are encoded, noised with **one** shared noise and timestep
(Diffusion-DPO compares winner and loser under the same corruption), both networks predict, masked errors per
candidate and instance enter :func:`dspo_loss` with the area weights. The user's description of hallucinations
(``feedback``) is given to ``encode_condition`` as the negative prompt.
"""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from panguvision.registry import MODELS
from .dspo_loss import dspo_loss, masked_denoising_errors, masks_to_latent

PROTOCOL = ('encode_images', 'encode_condition', 'sample_timesteps', 'noisy_and_target', 'denoise')


@MODELS.register_module()
class DSPOWrapper(BaseModel):
    """Args:
        model: config or instance of a diffusion SR model implementing the protocol above.
        init_checkpoint: optional weights of the pre-trained model (loaded into policy and reference alike).
        beta: Diffusion-DPO's KL strength (scale it with the error magnitude; Diffusion-DPO used 2000-5000 on SD).
        timestep_range: optional ``(low, high)`` in the model's timestep units: the loss's timesteps are drawn
            uniformly there instead of from the model's training density, e.g. ``(0, 600)`` for a sampler that starts
            from the LR latent at sigma 0.6 and never visits higher noise (the preferences only matter where the
            sampler runs). ``None``: ``policy.sample_timesteps``.
        data_preprocessor: default :class:`mmengine.model.BaseDataPreprocessor` (moves tensors to the device).
    """

    def __init__(self, model: Union[dict, nn.Module], init_checkpoint: Optional[str] = None, beta: float = 2000.0,
                 timestep_range: Optional[Sequence[float]] = None, data_preprocessor: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor)
        self.policy = MODELS.build(model) if isinstance(model, dict) else model
        missing = [name for name in PROTOCOL if not callable(getattr(self.policy, name, None))]
        if missing:
            raise TypeError(f'{type(self.policy).__name__} cannot be aligned with DSPO: it lacks {missing} of the '
                            f'diffusion-SR protocol (see panguvision/models/sr/dspo/dspo_wrapper.py)')
        if init_checkpoint:
            from panguvision.utils.checkpoint import load_weights_file
            self.policy.load_state_dict(load_weights_file(init_checkpoint), strict=True)
        self.reference = copy.deepcopy(self.policy).requires_grad_(False).eval()
        self.beta = beta
        if timestep_range is not None and not 0 <= float(timestep_range[0]) < float(timestep_range[1]):
            raise ValueError(f'DSPOWrapper timestep_range must be (low, high) with 0 <= low < high, got '
                             f'{timestep_range}')
        self.timestep_range = None if timestep_range is None else tuple(float(v) for v in timestep_range)

    def train(self, mode: bool = True) -> 'DSPOWrapper':
        super().train(mode)
        self.reference.eval()  # frozen: dropout/normalisation statistics never change
        return self

    def aligned_state_dict(self) -> Dict[str, torch.Tensor]:
        """The trained model's weights with the plain model's key names (strictly loadable into it)."""
        return {k: v.detach().clone() for k, v in self.policy.state_dict().items()}

    def _timestep(self) -> torch.Tensor:
        """``(1,)`` timestep shared by a record's candidates."""
        if self.timestep_range is None:
            return self.policy.sample_timesteps(1, None)
        low, high = self.timestep_range
        return low + (high - low) * torch.rand(1)

    def _sample_loss(self, lq: torch.Tensor, sample) -> torch.Tensor:
        candidates = sample.candidates.float() / 255.0  # (N, 3, H, W)
        latents = self.policy.encode_images(candidates)
        with torch.no_grad():
            ref_latents = self.reference.encode_images(candidates)
        noise = torch.randn(latents.shape[1:], device=latents.device, dtype=latents.dtype).expand_as(latents)
        t = self._timestep().to(latents.device).expand(latents.shape[0])
        prompt, feedback = sample.metainfo.get('prompt', ''), sample.metainfo.get('feedback')
        lq = lq[None].float() / 255.0
        noisy, target = self.policy.noisy_and_target(latents, noise, t)
        pred = self.policy.denoise(noisy, t, self.policy.encode_condition(lq, prompt, feedback))
        masks = masks_to_latent(sample.masks, tuple(latents.shape[-2:]))
        errors = masked_denoising_errors(pred, target, masks)
        with torch.no_grad():
            ref_noisy, ref_target = self.reference.noisy_and_target(ref_latents, noise, t)
            ref_pred = self.reference.denoise(ref_noisy, t, self.reference.encode_condition(lq, prompt, feedback))
            ref_errors = masked_denoising_errors(ref_pred, ref_target, masks)
        return dspo_loss(errors, ref_errors, sample.winners, sample.losers, sample.weights, beta=self.beta)

    def forward(self, inputs: List[torch.Tensor], data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode != 'loss':
            raise NotImplementedError('DSPOWrapper only trains; run inference with the plain model loaded from '
                                      'aligned_state_dict() (tools/test.py with the model config)')
        losses = [self._sample_loss(lq, sample) for lq, sample in zip(inputs, data_samples)]
        return dict(loss_dspo=torch.stack(losses).mean())
