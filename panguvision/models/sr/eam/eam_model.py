"""EAM (Enhancing Anything Model): blind SR by rectified-flow sampling in a VAE latent with Psi-DiT.

Training (``mode='loss'``), per batch of LQ ``(B, 3, h, w)`` and GT ``(B, 3, h*s, w*s)`` in ``[0, 1]``:

1. ``x0 = VAE(GT)`` and the LR latent ``c = VAE(bicubic_up(LQ))`` (same shape ``(B, C, H/f, W/f)``), scaled and
   shifted as in SD3 (``(z - shift_factor) * scaling_factor``); the VAE and the text encoder are frozen.
2. Progressive masked image modelling: a fraction ``r`` of the LR latent's tokens (patches of the transformer's patch
   size) is replaced by a learned mask token; ``r`` anneals from ``r_max`` (almost text-to-image) to ``r_min`` over
   ``anneal_iters`` iterations (cosine or linear), read from the runner's iteration in mmengine's message hub.
3. Rectified flow as SD3: ``sigma = t / 1000`` with ``t`` drawn logit-normally and shifted like diffusers'
   ``FlowMatchEulerDiscreteScheduler``; ``x_t = (1 - sigma) x0 + sigma eps``; Psi-DiT predicts ``eps - x0`` (MSE).

Inference: Euler steps of ``FlowMatchEulerDiscreteScheduler`` from Gaussian noise, optional classifier-free
guidance with a negative prompt, latent tiling (:func:`tiled_denoise`) for large images, VAE decoding. Predictions
are ``[0, 1]`` images as every :class:`SRModel` returns them (the metrics scale them to ``[0, 255]``).

The model also implements the diffusion-SR protocol of :class:`~panguvision.models.sr.dspo.DSPOWrapper`.
"""
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.registry import FUNCTIONS
from torch import nn

from panguvision.models.sr.base_sr_model import SRModel
from panguvision.registry import MODELS
from .latent_tiling import tiled_denoise
from .psi_dit import LRStream, PsiDiT
from .text_encoding import SD3TextEncoder, require_local_folder, tiny_text_encoder

__all__ = ['EAM', 'tiny_vae_config', 'mask_ratio_at', 'eam_checkpoint_lr_stream', 'eam_fsdp_wrap_policy',
           'wavelet_colour_fix']


def _low_pass(x: torch.Tensor, levels: int) -> torch.Tensor:
    """``levels`` a-trous passes of the 3x3 binomial kernel (dilation 1, 2, 4, ...; replicate padding) per
    channel of ``(N, C, H, W)``."""
    k = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype, device=x.device)
    weight = (k[:, None] * k[None, :] / 16).expand(x.shape[1], 1, 3, 3)
    for i in range(levels):
        d = 2 ** i
        x = F.conv2d(F.pad(x, (d, d, d, d), mode='replicate'), weight, dilation=d, groups=x.shape[1])
    return x


def wavelet_colour_fix(image: torch.Tensor, reference: torch.Tensor, levels: int = 5) -> torch.Tensor:
    """Wavelet colour fix (as StableSR / OSEDiff apply it after decoding): the high frequencies of ``image`` plus
    the low frequencies (``levels`` a-trous levels) of ``reference`` (the bicubic-upsampled LQ), both
    ``(N, 3, H, W)`` in ``[0, 1]``; clamped to ``[0, 1]``. Removes the VAE's and the sampler's colour and
    low-frequency drift; ``levels=0`` returns ``image``."""
    if levels <= 0:
        return image
    return (image - _low_pass(image, levels) + _low_pass(reference, levels)).clamp(0, 1)


@FUNCTIONS.register_module(force=True)
def eam_fsdp_wrap_policy(module: nn.Module, recurse: bool, nonwrapped_numel: int) -> bool:
    """FSDP ``auto_wrap_policy``: the Psi-DiT is one FSDP unit, everything else (frozen VAE and text encoders) the
    root unit. Finer units would break EAM: an LR stream reads its base block's attention weights outside that
    block's forward, and the VAE / text encoder are called through methods (``encode``, ``decode``) that FSDP does
    not unshard for a wrapped child."""
    return True if recurse else isinstance(module, PsiDiT)


@FUNCTIONS.register_module(force=True)
def eam_checkpoint_lr_stream(module: nn.Module) -> bool:
    """``check_fn`` of FSDPStrategy's activation checkpointing: recompute every Psi-DiT block in backward (an
    :class:`LRStream` runs its frozen base block inside its forward, so wrapping it covers both). Registered in
    mmengine's root ``FUNCTIONS``, where ``FSDPStrategy`` looks ``check_fn`` names up."""
    return isinstance(module, LRStream)


def tiny_vae_config() -> dict:
    """A small random ``AutoencoderKL`` (4 latent channels, downsampling factor 4) for tests and CPU runs."""
    return dict(in_channels=3, out_channels=3, down_block_types=('DownEncoderBlock2D', ) * 3,
                up_block_types=('UpDecoderBlock2D', ) * 3, block_out_channels=(8, 16, 16), layers_per_block=1,
                latent_channels=4, norm_num_groups=4, sample_size=64)


def mask_ratio_at(it: int, r_max: float, r_min: float, anneal_iters: int, schedule: str = 'cosine') -> float:
    """Mask ratio at iteration ``it``: ``r_max`` at 0, ``r_min`` from ``anneal_iters`` on (cosine or linear)."""
    if anneal_iters <= 0:
        return r_min
    p = min(max(it, 0) / anneal_iters, 1.0)
    if schedule == 'cosine':
        return r_min + (r_max - r_min) * 0.5 * (1 + math.cos(math.pi * p))
    if schedule == 'linear':
        return r_max + (r_min - r_max) * p
    raise ValueError(f"EAM mask_cfg.schedule must be 'cosine' or 'linear', got {schedule!r}")


def _dtype(name: Optional[str]) -> Optional[torch.dtype]:
    return getattr(torch, name) if isinstance(name, str) else name


@MODELS.register_module()
class EAM(SRModel):
    """Args:
        transformer: :class:`PsiDiT` config (random base, e.g. ``base=tiny_sd3_config()``) or module; ignored when
            ``pretrained_path`` is given.
        vae: ``AutoencoderKL`` config dict (random weights; :func:`tiny_vae_config`) or module.
        text_encoder: :class:`SD3TextEncoder` or ``dict(hidden_size=, projection_dim=, max_length=)`` for
            :func:`tiny_text_encoder` (``None``: sized to the transformer's joint/pooled dims).
        pretrained_path: local diffusers SD3 folder (``vae/``, ``transformer/``, ``text_encoder*/``,
            ``tokenizer*/``), loaded with ``local_files_only``; replaces the three configs above.
        use_t5: load SD3's T5 encoder from ``pretrained_path`` (``text_encoder_3``).
        frozen_dtype: dtype name of the frozen VAE/text encoders (e.g. ``'bfloat16'``), ``None`` keeps float32.
        scale: upscaling factor.
        mask_cfg: ``dict(r_max, r_min, anneal_iters, schedule='cosine'|'linear', token='learned'|'zeros')``.
        flow_cfg: ``dict(shift, logit_mean, logit_std, sigma_range=(0, 1))`` of the training timesteps and the
            sampler (``sigma_range`` squeezes the training sigmas into ``[lo, hi]``; the sampler uses ``shift``).
        default_prompt: prompt when neither the sample nor a prompter gives one.
        prompter: optional :class:`SubjectPrompter` config; used at inference (and in training when
            ``train_prompter=True``).
        text_drop_prob: probability of an empty prompt in training (enables classifier-free guidance).
        test_cfg: ``num_steps``, ``guidance_scale`` (1: no CFG), ``negative_prompt``, ``seed`` (``None``: torch's
            global RNG), ``start_sigma`` (1: from pure noise; < 1: from the noised LR latent), ``num_samples``
            (``K > 1``: the mean of ``K`` samples, a posterior-mean estimate; default 1), ``colour_fix_levels``
            (> 0: :func:`wavelet_colour_fix` against the bicubic LQ with that many levels; default 0: off),
            ``latent_tile`` /
            ``latent_tile_overlap`` (latent pixels) or ``tile_size`` / ``tile_overlap`` (LR pixels, as other SR
            models), ``prompt`` (overrides every prompt).
    """

    def __init__(self,
                 transformer: Union[dict, nn.Module, None] = None,
                 vae: Union[dict, nn.Module, None] = None,
                 text_encoder: Union[dict, nn.Module, None] = None,
                 pretrained_path: Optional[str] = None,
                 use_t5: bool = True,
                 frozen_dtype: Optional[str] = None,
                 scale: int = 4,
                 mask_cfg: Optional[dict] = None,
                 flow_cfg: Optional[dict] = None,
                 default_prompt: str = '',
                 prompter: Optional[dict] = None,
                 train_prompter: bool = False,
                 text_drop_prob: float = 0.1,
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        from diffusers import AutoencoderKL  # heavy optional dependency: imported on use
        dtype = _dtype(frozen_dtype)
        if pretrained_path:
            from diffusers import SD3Transformer2DModel
            require_local_folder(pretrained_path, 'transformer')
            base = SD3Transformer2DModel.from_pretrained(pretrained_path, subfolder='transformer',
                                                         local_files_only=True)
            transformer = PsiDiT(base)
            require_local_folder(pretrained_path, 'vae')
            vae = AutoencoderKL.from_pretrained(pretrained_path, subfolder='vae', local_files_only=True,
                                                torch_dtype=dtype)
            text_encoder = SD3TextEncoder.from_pretrained(pretrained_path, use_t5=use_t5, torch_dtype=dtype,
                                                          joint_attention_dim=base.config.joint_attention_dim)
        if transformer is None or vae is None:
            raise ValueError('EAM: give transformer and vae configs, or pretrained_path (a local SD3 folder)')
        super().__init__(generator=transformer, data_preprocessor=data_preprocessor, test_cfg=test_cfg,
                         init_cfg=init_cfg)
        if not isinstance(self.generator, PsiDiT):
            raise TypeError(f'EAM: transformer must be a PsiDiT, got {type(self.generator).__name__}')
        base_cfg = self.generator.base.config
        self.vae = AutoencoderKL(**vae) if isinstance(vae, dict) else vae
        if text_encoder is None or isinstance(text_encoder, dict):
            kw = dict(hidden_size=base_cfg.joint_attention_dim, projection_dim=base_cfg.pooled_projection_dim)
            text_encoder = tiny_text_encoder(**dict(kw, **(text_encoder or {})))
        self.text_encoder = text_encoder
        self.vae.requires_grad_(False)
        self.text_encoder.requires_grad_(False)
        if dtype is not None:
            self.vae.to(dtype)
            self.text_encoder.to(dtype)
        self._scale = int(scale)
        self.mask_cfg = dict(dict(r_max=0.95, r_min=0.25, anneal_iters=10000, schedule='cosine', token='learned'),
                             **(mask_cfg or {}))
        mask_ratio_at(0, self.mask_cfg['r_max'], self.mask_cfg['r_min'], 1, self.mask_cfg['schedule'])  # validate
        channels = base_cfg.in_channels
        self.mask_token = nn.Parameter(torch.zeros(channels), requires_grad=self.mask_cfg['token'] == 'learned')
        self.flow_cfg = dict(dict(shift=3.0, logit_mean=0.0, logit_std=1.0, sigma_range=(0.0, 1.0)),
                             **(flow_cfg or {}))
        lo, hi = self.flow_cfg['sigma_range']
        if not 0.0 <= lo < hi <= 1.0:
            raise ValueError(f'EAM flow_cfg.sigma_range must satisfy 0 <= lo < hi <= 1, got {(lo, hi)}')
        self.num_train_timesteps = 1000
        self.default_prompt = default_prompt
        self.prompter = MODELS.build(prompter) if isinstance(prompter, dict) else prompter
        self.train_prompter = train_prompter
        self.text_drop_prob = text_drop_prob
        self.iter_override: Optional[int] = None  # set to drive the mask schedule without a runner
        self.last_prompts: List[str] = []

    # ------------------------------------------------------------------ basics
    @property
    def scale(self) -> int:
        return self._scale

    @property
    def patch_size(self) -> int:
        return int(self.generator.base.config.patch_size)

    @property
    def vae_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    def train(self, mode: bool = True) -> 'EAM':
        super().train(mode)
        self.vae.eval()  # frozen
        self.text_encoder.eval()
        return self

    def current_mask_ratio(self) -> float:
        """The progressive-masking ratio of the current training iteration."""
        it = self.iter_override
        if it is None:
            it = MessageHub.get_current_instance().get_info('iter', 0) or 0
        c = self.mask_cfg
        return mask_ratio_at(int(it), c['r_max'], c['r_min'], c['anneal_iters'], c['schedule'])

    def mask_lr(self, lr: torch.Tensor, ratio: float, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Replace ``round(ratio * tokens)`` random patch tokens of each LR latent ``(B, C, H, W)`` by the mask
        token (tokens are the transformer's ``patch_size`` patches)."""
        if ratio <= 0:
            return lr
        b, _, h, w = lr.shape
        p = self.patch_size
        n = (h // p) * (w // p)
        k = int(round(ratio * n))
        scores = torch.rand(b, n, generator=generator).to(lr.device)
        keep = torch.ones(b, n, device=lr.device, dtype=lr.dtype)
        keep.scatter_(1, scores.argsort(dim=1)[:, :k], 0.0)
        keep = keep.view(b, 1, h // p, w // p).repeat_interleave(p, 2).repeat_interleave(p, 3)
        return lr * keep + self.mask_token.to(lr.dtype).view(1, -1, 1, 1) * (1 - keep)

    # ------------------------------------------------------------------ diffusion-SR protocol
    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` in ``[0, 1]`` -> SD3-normalised latents ``(N, C, H/f, W/f)`` (posterior mode)."""
        vae = self.vae
        with torch.no_grad():
            z = vae.encode((images * 2 - 1).to(vae.dtype)).latent_dist.mode().float()
        shift = vae.config.shift_factor or 0.0
        return (z - shift) * vae.config.scaling_factor

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`encode_images`: ``(N, C, h, w)`` -> ``(N, 3, h*f, w*f)`` in ``[0, 1]`` (clamped)."""
        vae = self.vae
        z = latents / vae.config.scaling_factor + (vae.config.shift_factor or 0.0)
        with torch.no_grad():
            x = vae.decode(z.to(vae.dtype)).sample.float()
        return ((x + 1) / 2).clamp(0, 1)

    def lr_latent(self, lq: torch.Tensor, size) -> torch.Tensor:
        """LQ ``(N, 3, h, w)`` in ``[0, 1]``, bicubic-upsampled to ``size`` (HQ pixels) and encoded."""
        up = F.interpolate(lq, size=tuple(size), mode='bicubic', align_corners=False).clamp(0, 1)
        return self.encode_images(up)

    def encode_text(self, prompts: Sequence[str]):
        seq, pooled = self.text_encoder.encode(list(prompts))
        return seq.float(), pooled.float()

    def encode_condition(self, lq: torch.Tensor, prompt: str, negative_prompt: Optional[str] = None) -> Dict:
        """Conditioning of LQ ``(1, 3, h, w)`` in ``[0, 1]``: its LR latent at ``scale`` and the prompt embeddings
        (and the negative prompt's, used for guidance at sampling)."""
        size = (lq.shape[-2] * self.scale, lq.shape[-1] * self.scale)
        seq, pooled = self.encode_text([prompt or ''])
        cond = dict(lr_latent=self.lr_latent(lq, size), prompt_embeds=seq, pooled=pooled)
        if negative_prompt is not None:
            cond['negative_prompt_embeds'], cond['negative_pooled'] = self.encode_text([negative_prompt])
        return cond

    def sample_timesteps(self, n: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """``(n,)`` training timesteps in ``[0, 1000)``: logit-normal ``u`` (SD3's default density, as diffusers'
        ``compute_density_for_timestep_sampling('logit_normal')``), shifted like the sampler's sigmas, then mapped
        linearly into ``flow_cfg.sigma_range`` ``(lo, hi)`` (default ``(0, 1)``: unchanged; e.g. ``(0, 0.4)`` trains
        only the noise levels a sampler starting at ``start_sigma = 0.4`` visits)."""
        u = torch.sigmoid(torch.randn(n, generator=generator) * self.flow_cfg['logit_std'] +
                          self.flow_cfg['logit_mean'])
        s = self.flow_cfg['shift']
        sigma = s * u / (1 + (s - 1) * u)
        lo, hi = self.flow_cfg['sigma_range']  # squeezed into [lo, hi] (where the sampler starts), default [0, 1]
        return (lo + (hi - lo) * sigma) * self.num_train_timesteps

    def noisy_and_target(self, latents: torch.Tensor, noise: torch.Tensor, t: torch.Tensor):
        """Rectified flow: ``x_t = (1 - sigma) x0 + sigma eps`` with ``sigma = t / 1000``; target ``eps - x0``."""
        sigma = (t.float() / self.num_train_timesteps).view(-1, 1, 1, 1).to(latents)
        return (1 - sigma) * latents + sigma * noise, noise - latents

    def denoise(self, noisy: torch.Tensor, t: torch.Tensor, condition: Dict) -> torch.Tensor:
        """Velocity ``(B, C, h, w)`` of Psi-DiT for ``noisy`` given ``condition`` (broadcast over the batch)."""
        b = noisy.shape[0]

        def expand(x):
            return x.expand(b, *x.shape[1:]) if x.shape[0] == 1 else x

        return self.generator(hidden_states=noisy, lr_latent=expand(condition['lr_latent']),
                              encoder_hidden_states=expand(condition['prompt_embeds']),
                              pooled_projections=expand(condition['pooled']), timestep=t.to(noisy.device))

    # ------------------------------------------------------------------ training
    def _prompts(self, inputs: torch.Tensor, data_samples, use_prompter: bool) -> List[str]:
        override = self.test_cfg.get('prompt')
        prompts = []
        for i in range(inputs.shape[0]):
            meta = data_samples[i].metainfo if data_samples is not None else {}
            prompt = override if override is not None and not self.training else meta.get('prompt')
            if prompt is None and use_prompter and self.prompter is not None:
                img = (inputs[i].detach().clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy()
                prompt = self.prompter(img)
            prompts.append(self.default_prompt if prompt is None else prompt)
        return prompts

    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        from panguvision.models.data_preprocessors import SRDataPreprocessor
        gt = SRDataPreprocessor.stack_gt(data_samples)
        if gt.shape[-2:] != (inputs.shape[-2] * self.scale, inputs.shape[-1] * self.scale):
            raise ValueError(f'EAM: GT {tuple(gt.shape)} is not {self.scale}x the LQ {tuple(inputs.shape)}')
        mult = self.vae_factor * self.patch_size
        if gt.shape[-2] % mult or gt.shape[-1] % mult:
            raise ValueError(f'EAM: GT size {tuple(gt.shape[-2:])} must be a multiple of {mult} (VAE factor x '
                             f'patch size); crop training patches accordingly')
        latents = self.encode_images(gt)
        ratio = self.current_mask_ratio()
        lr = self.mask_lr(self.lr_latent(inputs, gt.shape[-2:]), ratio)
        prompts = self._prompts(inputs, data_samples, self.train_prompter)
        prompts = ['' if torch.rand(()).item() < self.text_drop_prob else p for p in prompts]
        seq, pooled = self.encode_text(prompts)
        noise = torch.randn_like(latents)
        t = self.sample_timesteps(latents.shape[0]).to(latents.device)
        noisy, target = self.noisy_and_target(latents, noise, t)
        pred = self.denoise(noisy, t, dict(lr_latent=lr, prompt_embeds=seq, pooled=pooled))
        return dict(loss_flow=F.mse_loss(pred.float(), target), mask_ratio=torch.tensor(ratio))

    # ------------------------------------------------------------------ inference
    def _latent_tiling(self, h: int, w: int):
        """``(tile, overlap)`` in latent pixels, or ``None`` for whole-latent denoising."""
        cfg, p = self.test_cfg, self.patch_size
        tile, overlap = cfg.get('latent_tile'), cfg.get('latent_tile_overlap')
        if tile is None and cfg.get('tile_size'):
            f = self.vae_factor
            tile = cfg['tile_size'] * self.scale // f
            overlap = cfg.get('tile_overlap', 32) * self.scale // f
        max_size = getattr(self.generator.base.config, 'pos_embed_max_size', None)
        if max_size and tile is None and max(h, w) > max_size * p:
            tile = max_size * p  # the transformer's positional embedding cannot cover more
        if tile is None:
            return None
        tile = max(p, tile // p * p)
        if max_size:
            tile = min(tile, max_size * p)
        if overlap is None:
            overlap = tile // 4
        overlap = min(overlap // p * p, tile - p)
        return tile, overlap

    def _velocity(self, latents: torch.Tensor, t: torch.Tensor, cond: Dict, guidance: float) -> torch.Tensor:
        tiling = self._latent_tiling(*latents.shape[-2:])

        def run(prompt_embeds, pooled):
            def fn(noisy, lr):
                return self.denoise(noisy, t, dict(lr_latent=lr, prompt_embeds=prompt_embeds, pooled=pooled))
            if tiling is None:
                return fn(latents, cond['lr_latent'])
            return tiled_denoise(fn, latents, cond['lr_latent'], *tiling, multiple=self.patch_size)

        v = run(cond['prompt_embeds'], cond['pooled'])
        if guidance != 1.0:
            v_neg = run(cond['negative_prompt_embeds'], cond['negative_pooled'])
            v = v_neg + guidance * (v - v_neg)
        return v

    @torch.no_grad()
    def sample(self, lq: torch.Tensor, prompts: Sequence[str], negative_prompt: str = '',
               num_steps: Optional[int] = None, guidance_scale: Optional[float] = None,
               seed: Optional[int] = None, start_sigma: Optional[float] = None,
               num_samples: Optional[int] = None, colour_fix_levels: Optional[int] = None) -> torch.Tensor:
        """Super-resolve ``lq`` ``(B, 3, h, w)`` in ``[0, 1]`` -> ``(B, 3, h*s, w*s)`` in ``[0, 1]``.

        ``seed`` (default ``test_cfg.seed``, 0; ``None`` there draws from torch's global RNG) fixes the noise.
        ``start_sigma`` (default ``test_cfg.start_sigma``, 1.0) is where the flow starts: 1 is pure noise; below 1
        the sampler starts, as diffusers' SD3 img2img pipeline does at that strength, from the LR latent noised to
        that level, ``(1 - sigma) c + sigma eps``, and runs the remaining Euler steps of the same schedule.
        ``num_samples`` (default ``test_cfg.num_samples``, 1) ``K > 1`` returns the pixel mean of ``K`` decoded
        samples, drawn one after the other with successive noises of the same generator (the first is the ``K = 1``
        sample): a Monte-Carlo estimate of the posterior mean, the PSNR-optimal output, at ``K`` times the cost.
        ``colour_fix_levels`` (default ``test_cfg.colour_fix_levels``, 0): :func:`wavelet_colour_fix` of the output
        against the bicubic-upsampled LQ."""
        from diffusers import FlowMatchEulerDiscreteScheduler
        cfg = self.test_cfg
        num_steps = num_steps or cfg.get('num_steps', 20)
        guidance = cfg.get('guidance_scale', 1.0) if guidance_scale is None else guidance_scale
        seed = cfg.get('seed', 0) if seed is None else seed
        start_sigma = float(cfg.get('start_sigma', 1.0)) if start_sigma is None else float(start_sigma)
        b, _, h, w = lq.shape
        out_h, out_w = h * self.scale, w * self.scale
        mult = self.vae_factor * self.patch_size
        pad_h, pad_w = (-out_h) % mult, (-out_w) % mult
        up = F.interpolate(lq, size=(out_h, out_w), mode='bicubic', align_corners=False).clamp(0, 1)
        if pad_h or pad_w:
            up = F.pad(up, (0, pad_w, 0, pad_h), mode='replicate')
        seq, pooled = self.encode_text(prompts)
        cond = dict(lr_latent=self.encode_images(up), prompt_embeds=seq, pooled=pooled)
        if guidance != 1.0:
            neg_seq, neg_pooled = self.encode_text([negative_prompt] * b)
            cond.update(negative_prompt_embeds=neg_seq, negative_pooled=neg_pooled)
        num_samples = int(cfg.get('num_samples', 1) if num_samples is None else num_samples)
        if num_samples < 1:
            raise ValueError(f'EAM test_cfg.num_samples must be >= 1, got {num_samples}')
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None  # None: torch's global RNG
        total = 0.0
        for _ in range(num_samples):
            scheduler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=self.num_train_timesteps,
                                                        shift=self.flow_cfg['shift'])
            scheduler.set_timesteps(num_steps, device=lq.device)
            noise = torch.randn(cond['lr_latent'].shape, generator=gen).to(lq.device)
            timesteps, latents = self._start(scheduler, noise, cond['lr_latent'], start_sigma)
            for t in timesteps:
                v = self._velocity(latents, t.expand(b), cond, guidance)
                latents = scheduler.step(v, t, latents).prev_sample
            total = total + self.decode_latents(latents)
        if colour_fix_levels is None:
            colour_fix_levels = cfg.get('colour_fix_levels', 0)
        out = wavelet_colour_fix(total / num_samples, up, int(colour_fix_levels))
        return out[..., :out_h, :out_w]

    @staticmethod
    def _start(scheduler, noise: torch.Tensor, lr_latent: torch.Tensor, start_sigma: float):
        """``(timesteps, initial latents)``: all steps from pure noise (``start_sigma >= 1``), else the steps whose
        sigma is at most ``start_sigma`` from the LR latent noised to the first of them (SD3 img2img)."""
        if not 0.0 < start_sigma <= 1.0:
            raise ValueError(f'EAM test_cfg.start_sigma must be in (0, 1], got {start_sigma}')
        if start_sigma >= 1.0:
            return scheduler.timesteps, noise
        sigmas = scheduler.sigmas[:-1].cpu()
        first = int((sigmas > start_sigma + 1e-6).sum())
        if first >= len(sigmas):
            raise ValueError(f'EAM: start_sigma {start_sigma} is below the last sampling sigma {float(sigmas[-1]):.4f}')
        scheduler.set_begin_index(first)
        timesteps = scheduler.timesteps[first:]
        sigma = float(sigmas[first])
        return timesteps, (1.0 - sigma) * lr_latent + sigma * noise

    def infer(self, inputs: torch.Tensor, data_samples=None) -> torch.Tensor:
        prompts = self._prompts(inputs, data_samples, use_prompter=True)
        self.last_prompts = prompts
        return self.sample(inputs, prompts, negative_prompt=self.test_cfg.get('negative_prompt', ''))

    def predict(self, inputs: torch.Tensor, data_samples=None):
        preds = self.infer(inputs, data_samples)
        from panguvision.structures import SRDataSample
        if data_samples is None:
            data_samples = [SRDataSample() for _ in range(preds.shape[0])]
        for sample, pred, prompt in zip(data_samples, preds, self.last_prompts):
            if 'gt_img' in sample and sample.gt_img.shape != pred.shape:
                pred = pred[:, :sample.gt_img.shape[-2], :sample.gt_img.shape[-1]]
            sample.pred_img = pred
            sample.set_metainfo(dict(prompt=prompt))
        return data_samples

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'tensor':
            return self.infer(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)
