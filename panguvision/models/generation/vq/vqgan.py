"""VQGAN-style image tokenizer: convolutional encoder -> vector quantiser -> convolutional decoder.

The architecture follows the VQGAN / LlamaGen VQ-16 design (ResNet blocks with GroupNorm and SiLU, strided
downsampling, nearest-neighbour upsampling, an optional self-attention block at the lowest resolution, a 1x1
projection to a low-dimensional l2-normalised codebook). Images enter and leave in ``[0, 1]``.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from panguvision.registry import MODELS
from .quantizer import VectorQuantizer

__all__ = ['VQTokenizer', 'VQEncoder', 'VQDecoder', 'PatchDiscriminator']


def _norm(channels: int) -> nn.GroupNorm:
    groups = 32 if channels % 32 == 0 else next(g for g in (16, 8, 4, 2, 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels, eps=1e-6)


class ResBlock(nn.Module):
    """``x + conv(silu(norm(conv(silu(norm(x))))))`` with a 1x1 skip when the width changes."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.block = nn.Sequential(_norm(cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1), _norm(cout), nn.SiLU(),
                                   nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.block(x)


class AttnBlock(nn.Module):
    """Single-head self-attention over all positions of a (B, C, H, W) map, residual."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = _norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).flatten(2).transpose(1, 2).chunk(3, dim=-1)  # (B, HW, C) each
        out = F.scaled_dot_product_attention(q, k, v)
        return x + self.proj(out.transpose(1, 2).reshape(b, c, h, w))


class VQEncoder(nn.Module):
    """(B, 3, H, W) in [-1, 1] -> (B, z_channels, H / f, W / f), ``f = stem_stride * 2 ** (len(ch_mult) - 1)``; a
    ``stem_stride`` > 1 makes the first convolution a non-overlapping patch embedding (kernel = stride)."""

    def __init__(self, ch: int, ch_mult: Sequence[int], num_res_blocks: int, z_channels: int, mid_attn: bool,
                 stem_stride: int = 1):
        super().__init__()
        self.conv_in = (nn.Conv2d(3, ch, 3, padding=1) if stem_stride == 1 else
                        nn.Conv2d(3, ch, stem_stride, stride=stem_stride))
        layers: List[nn.Module] = []
        cin = ch
        for level, mult in enumerate(ch_mult):
            for _ in range(num_res_blocks):
                layers.append(ResBlock(cin, ch * mult))
                cin = ch * mult
            if level < len(ch_mult) - 1:
                layers.append(nn.Conv2d(cin, cin, 3, stride=2, padding=1))
        layers += [ResBlock(cin, cin)] + ([AttnBlock(cin)] if mid_attn else []) + [ResBlock(cin, cin)]
        self.body = nn.Sequential(*layers)
        self.conv_out = nn.Sequential(_norm(cin), nn.SiLU(), nn.Conv2d(cin, z_channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.body(self.conv_in(x)))


class VQDecoder(nn.Module):
    """(B, z_channels, h, w) -> (B, 3, h * f, w * f) in about [-1, 1]; mirror of :class:`VQEncoder` (with
    ``stem_stride`` > 1 the last convolution predicts ``stem_stride ** 2`` pixels per position, pixel-shuffled)."""

    def __init__(self, ch: int, ch_mult: Sequence[int], num_res_blocks: int, z_channels: int, mid_attn: bool,
                 stem_stride: int = 1):
        super().__init__()
        cin = ch * ch_mult[-1]
        self.conv_in = nn.Conv2d(z_channels, cin, 3, padding=1)
        layers: List[nn.Module] = [ResBlock(cin, cin)] + ([AttnBlock(cin)] if mid_attn else []) + [ResBlock(cin, cin)]
        for level, mult in reversed(list(enumerate(ch_mult))):
            for _ in range(num_res_blocks + 1):
                layers.append(ResBlock(cin, ch * mult))
                cin = ch * mult
            if level > 0:
                layers += [nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(cin, cin, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.conv_out = nn.Sequential(_norm(cin), nn.SiLU(), nn.Conv2d(cin, 3 * stem_stride**2, 3, padding=1),
                                      nn.PixelShuffle(stem_stride))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.body(self.conv_in(z)))


@MODELS.register_module()
class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator (pix2pix / VQGAN): (B, 3, H, W) in [-1, 1] -> (B, 1, H', W') real/fake logits."""

    def __init__(self, ch: int = 64, num_layers: int = 3):
        super().__init__()
        layers: List[nn.Module] = [nn.Conv2d(3, ch, 4, 2, 1), nn.LeakyReLU(0.2)]
        cin = ch
        for i in range(1, num_layers + 1):
            cout = ch * min(2**i, 8)
            stride = 2 if i < num_layers else 1
            layers += [nn.Conv2d(cin, cout, 4, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]
            cin = cout
        layers.append(nn.Conv2d(cin, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@MODELS.register_module()
class VQTokenizer(BaseModel):
    """VQ image tokenizer (encoder, quantiser, decoder) trained on reconstruction.

    Inputs come from ``PackGenerationInputs`` + ``SRDataPreprocessor``: ``inputs`` (B, 3, H, W) in ``[0, 1]``, data
    samples with ``gt_img`` (the same image, for the PSNR/SSIM metrics). ``predict`` sets ``pred_img`` (3, H, W) in
    ``[0, 1]``, the reconstruction.

    Args:
        ch, ch_mult, num_res_blocks, z_channels, mid_attn: encoder/decoder shape (LlamaGen VQ-16: 128,
            (1, 1, 2, 2, 4), 2, 256, True).
        stem_stride: patch-embedding stride of the first encoder convolution (and pixel-shuffle factor of the last
            decoder one); the downsampling factor is ``stem_stride * 2 ** (len(ch_mult) - 1)``. 1 = VQGAN.
        codebook_size, code_dim, beta, l2_norm, ema, ema_decay, restart_dead_codes: see :class:`VectorQuantizer`.
        recon_loss: ``'l1'`` or ``'l2'`` pixel loss (on [-1, 1] images), weight ``recon_weight``.
        perceptual_loss: optional config of a loss module ``(pred, target) -> scalar`` on [-1, 1] images (e.g. an
            LPIPS you provide weights for), weight ``perceptual_weight``. Off by default: no perceptual network ships
            offline.
        discriminator: optional :class:`PatchDiscriminator` config; switches on the hinge GAN loss (weight
            ``gan_weight``) from iteration ``gan_start_iter``. Needs ``optim_wrapper`` with ``generator`` and
            ``discriminator`` entries (an mmengine ``OptimWrapperDict``, one optimiser per sub-model). Off by default.
    """

    def __init__(self,
                 ch: int = 128,
                 ch_mult: Sequence[int] = (1, 1, 2, 2, 4),
                 num_res_blocks: int = 2,
                 z_channels: int = 256,
                 mid_attn: bool = True,
                 stem_stride: int = 1,
                 codebook_size: int = 16384,
                 code_dim: int = 8,
                 beta: float = 0.25,
                 l2_norm: bool = True,
                 ema: bool = False,
                 ema_decay: float = 0.99,
                 restart_dead_codes: bool = False,
                 recon_loss: str = 'l1',
                 recon_weight: float = 1.0,
                 perceptual_loss: Optional[dict] = None,
                 perceptual_weight: float = 1.0,
                 discriminator: Optional[dict] = None,
                 gan_weight: float = 0.1,
                 gan_start_iter: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or dict(type='panguvision.SRDataPreprocessor'),
                         init_cfg=init_cfg)
        if recon_loss not in ('l1', 'l2'):
            raise ValueError(f"VQTokenizer: recon_loss must be 'l1' or 'l2', got {recon_loss!r}")
        self.downsample = stem_stride * 2**(len(ch_mult) - 1)
        self.encoder = VQEncoder(ch, ch_mult, num_res_blocks, z_channels, mid_attn, stem_stride)
        self.quant_conv = nn.Conv2d(z_channels, code_dim, 1)
        self.quantizer = VectorQuantizer(codebook_size, code_dim, beta, l2_norm, ema, ema_decay,
                                         restart_dead_codes=restart_dead_codes)
        self.post_quant_conv = nn.Conv2d(code_dim, z_channels, 1)
        self.decoder = VQDecoder(ch, ch_mult, num_res_blocks, z_channels, mid_attn, stem_stride)
        self.recon_loss, self.recon_weight = recon_loss, recon_weight
        self.perceptual_loss = MODELS.build(perceptual_loss) if perceptual_loss else None
        self.perceptual_weight = perceptual_weight
        self.discriminator = MODELS.build(discriminator) if discriminator else None
        self.gan_weight, self.gan_start_iter = gan_weight, gan_start_iter
        self._gan_iter = 0

    @property
    def codebook_size(self) -> int:
        return self.quantizer.num_codes

    # ------------------------------------------------------------------ tokenizer API
    def quantize(self, images: torch.Tensor):
        """``images`` (B, 3, H, W) in [0, 1] -> (z_q, losses, indices (B, H/f, W/f))."""
        h, w = images.shape[-2:]
        if h % self.downsample or w % self.downsample:
            raise ValueError(f'VQTokenizer: image size {h}x{w} is not a multiple of the downsampling {self.downsample}')
        return self.quantizer(self.quant_conv(self.encoder(images * 2 - 1)))

    @torch.no_grad()
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """Token ids (B, H/f, W/f) of ``images`` (B, 3, H, W) in [0, 1]."""
        return self.quantize(images)[2]

    def decode_latent(self, zq: torch.Tensor) -> torch.Tensor:
        """Quantised latent (B, C, h, w) -> image (B, 3, h f, w f) in about [-1, 1] (unclamped)."""
        return self.decoder(self.post_quant_conv(zq))

    @torch.no_grad()
    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """Token ids (B, h, w) -> images (B, 3, h f, w f) in [0, 1]."""
        return ((self.decode_latent(self.quantizer.lookup(indices)) + 1) / 2).clamp(0, 1)

    # ------------------------------------------------------------------ mmengine
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            zq, _, _ = self.quantize(inputs)
            return (self.decode_latent(zq) + 1) / 2
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    def _generator_losses(self, inputs: torch.Tensor):
        zq, losses, idx = self.quantize(inputs)
        recon = self.decode_latent(zq)
        target = inputs * 2 - 1
        pix = F.l1_loss(recon, target) if self.recon_loss == 'l1' else F.mse_loss(recon, target)
        losses = dict(loss_recon=self.recon_weight * pix, **losses)
        if self.perceptual_loss is not None:
            losses['loss_perceptual'] = self.perceptual_weight * self.perceptual_loss(recon, target)
        losses['perplexity'] = VectorQuantizer.perplexity(idx, self.codebook_size).detach()  # logged, not optimised
        return losses, recon

    def loss(self, inputs: torch.Tensor, data_samples=None) -> Dict[str, torch.Tensor]:
        return self._generator_losses(inputs)[0]

    def train_step(self, data, optim_wrapper):
        """Plain step, or with a discriminator the alternating VQGAN step (generator, then discriminator)."""
        if self.discriminator is None:
            return super().train_step(data, optim_wrapper)
        from mmengine.optim import OptimWrapperDict
        if not isinstance(optim_wrapper, OptimWrapperDict) or set(optim_wrapper.keys()) != {
                'generator', 'discriminator'}:
            raise TypeError('VQTokenizer with a discriminator needs optim_wrapper=dict(generator=..., '
                            'discriminator=...) (an OptimWrapperDict)')
        data = self.data_preprocessor(data, True)
        inputs = data['inputs']
        gan_on = self._gan_iter >= self.gan_start_iter
        self._gan_iter += 1
        gen_params = [p for n, p in self.named_parameters() if not n.startswith('discriminator.')]
        with optim_wrapper['generator'].optim_context(self):
            losses, recon = self._generator_losses(inputs)
            if gan_on:
                losses['loss_gan_g'] = -self.gan_weight * self.discriminator(recon).mean()
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper['generator'].update_params(parsed)
        for p in gen_params:  # the discriminator step below must not see generator gradients
            p.grad = None
        if gan_on:
            with optim_wrapper['discriminator'].optim_context(self.discriminator):
                real = self.discriminator(inputs * 2 - 1)
                fake = self.discriminator(recon.detach())
                loss_d = (F.relu(1 - real).mean() + F.relu(1 + fake).mean()) / 2  # hinge loss
            optim_wrapper['discriminator'].update_params(loss_d)
            log_vars['loss_gan_d'] = loss_d.detach()
        return log_vars

    def predict(self, inputs: torch.Tensor, data_samples=None) -> List[BaseDataElement]:
        with torch.no_grad():
            zq, _, _ = self.quantize(inputs)
            recon = ((self.decode_latent(zq) + 1) / 2).clamp(0, 1)
        if data_samples is None:
            data_samples = [BaseDataElement() for _ in range(recon.shape[0])]
        for sample, img in zip(data_samples, recon):
            sample.pred_img = img
        return data_samples
