"""Does a tiny EAM learn? Train it on degraded built-in photographs and compare its PSNR with bicubic on held-out ones.

``OMP_NUM_THREADS=1 python tools/misc/eam_learning_check.py [--vae-iters 1200] [--base-iters 1500] [--iters 3000]
[--steps 4 6 8] [--start-sigmas 0.6 0.4 0.2] [--num-samples 1 8] [--colour-fix-levels 0 3 5] [--vae-lq-frac 0]
[--sigma-range LO HI] [--reuse DIR [--reuse-psi]] [--out DIR]``

The tiny parts are random, so the recipe is EAM's applied to models we train first:

1. the tiny ``AutoencoderKL`` of ``configs/_base_/models/eam_tiny.py`` (factor 2, 16 channels as SD3's) on HR crops
   (L1 + small KL), with random channel permutations and negatives of the crops (``permute_colours``); its latents
   are normalised SD3-style (``scaling_factor = 1 / std``, ``shift_factor = mean``);
2. the "pre-trained text-to-image DiT": the base ``SD3Transformer2DModel`` alone, rectified flow on the HR latents
   with the (tiny, random, frozen) text encoder's embedding of the prompt (``--base-iters``);
3. Psi-DiT built on that base (LR streams copied from its noisy stream, zero merges: the script checks that the
   output equals the base's), base frozen, LR streams trained with flow matching and progressive masking on
   Real-ESRGAN-degraded crops (``--iters``; ``--train-base`` trains the base too; ``--sigma-range`` squeezes the
   training noise levels to where the sampler starts);
4. sampler selection on the 7 *training* photographs degraded afresh (degradation seed ``--select-seed``, centre
   ``--crop`` HR crops): every ``--steps`` x ``--start-sigmas`` x ``--num-samples`` setting (1 = from pure noise;
   below 1 = from the LR latent noised to that level, SD3 img2img; one step from pure noise is the flow's estimate of
   the mean HR latent given the LR image; ``K`` samples averaged: a Monte-Carlo posterior mean), each sample also
   with ``--colour-fix-levels`` (wavelet colour fix against the bicubic image; 0 = none); the setting with the best
   mean PSNR is chosen without looking at the held-out photographs. 4 steps from 0.2 runs only sigma 0.001, so it is
   the decoded LR latent itself: the no-learning reference of the sampler;
5. the 3 held-out photographs (fixed degradation, centre ``--crop`` HR crops): PSNR / SSIM (Y, crop 4) of EAM for
   every setting and of bicubic, the VAE's own reconstruction PSNR of the HR crop (the ceiling of any latent model),
   and the LR-following probe: each sample's PSNR against its own image's GT minus its mean PSNR against the other
   held-out GTs.

``--out/stages.pth`` keeps the trained VAE and base DiT: ``--reuse DIR`` loads them instead of stages 1-2 (the Psi-DiT
then trains from a different RNG state than in a full run), ``--reuse-psi`` also loads ``DIR/eam_tiny.pth`` and only
evaluates.

Prints one JSON line (also ``--out/result.json``); writes the trained model (``--out/eam_tiny.pth``) and its config
(``--out/eam_tiny_trained.py``: the VAE's latent normalisation, no prompter, ``test_cfg.seed=None`` so that
``tools/misc/build_dspo_preferences.py`` draws candidates by ``torch.manual_seed``; the selected sampler setting).
Exits 1 when EAM with the selected setting does not beat bicubic PSNR on the held-out photographs or the VAE
reconstruction is not above bicubic.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from panguvision.utils.checkpoint import atomic_torch_save


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default='configs/eam/eam_tiny_x4_realesrgan_builtin.py')
    p.add_argument('--vae-iters', type=int, default=1200)
    p.add_argument('--no-vae-colour-aug', action='store_true',
                   help='train the VAE without the colour permutation / negative augmentation')
    p.add_argument('--vae-lq-frac', type=float, default=0.0,
                   help='fraction of the VAE training images that are the bicubic-upsampled degraded LQ crops instead '
                        'of the HR crops (the images whose latents are the LR condition)')
    p.add_argument('--base-iters', type=int, default=1500, help='pre-training of the base DiT (0: keep it random)')
    p.add_argument('--iters', type=int, default=3000, help='Psi-DiT (LR stream) iterations')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--steps', type=int, nargs='+', default=[4, 6, 8], help='sampling steps (of the full schedule)')
    p.add_argument('--start-sigmas', type=float, nargs='+', default=[0.6, 0.4, 0.2])
    p.add_argument('--num-samples', type=int, nargs='+', default=[1, 8],
                   help='samples averaged per output (test_cfg.num_samples; K > 1: posterior-mean estimate)')
    p.add_argument('--colour-fix-levels', type=int, nargs='+', default=[0, 3, 5],
                   help='wavelet colour-fix levels tried on every sample (0: none; test_cfg.colour_fix_levels)')
    p.add_argument('--sigma-range', type=float, nargs=2, default=None, metavar=('LO', 'HI'),
                   help="Psi-DiT training sigmas squeezed into [LO, HI] (EAM flow_cfg.sigma_range; the base's "
                        "pre-training keeps [0, 1])")
    p.add_argument('--reuse', default=None, metavar='DIR',
                   help='load the VAE and base DiT of an earlier --out DIR (stages.pth) instead of training them')
    p.add_argument('--reuse-psi', action='store_true',
                   help="with --reuse: also load that run's Psi-DiT (eam_tiny.pth) and only evaluate")
    p.add_argument('--select-seed', type=int, default=777, help='degradation seed of the selection crops')
    p.add_argument('--crop', type=int, default=256, help='HR centre crop of the held-out photographs')
    p.add_argument('--train-base', action='store_true', help='also train the base DiT in stage 3')
    p.add_argument('--mask', type=float, nargs=2, default=None, metavar=('R_MAX', 'R_MIN'),
                   help='override the progressive-masking ratios of the config')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default=None)
    return p.parse_args(argv)


def batches(dataset, batch_size, rng):
    from mmengine.dataset import pseudo_collate
    while True:
        idx = rng.integers(0, len(dataset), batch_size)
        yield pseudo_collate([dataset[int(i)] for i in idx])


def permute_colours(images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Colour augmentation of a ``(B, 3, H, W)`` batch in ``[-1, 1]``: a random RGB channel permutation per image
    and, for half of the images, a colour negative. The stand-in VAE sees 7 photographs; a real SD3 VAE has seen
    every colour, and without this the tiny one turns the held-out photographs' unseen hues (a blue sky) grey."""
    out = []
    for img in images:
        img = img[torch.randperm(3, generator=gen)]
        out.append(-img if torch.rand((), generator=gen) < 0.5 else img)
    return torch.stack(out)


def train_vae(model, data, iters, log, colour_aug=True, seed=0, lq_frac=0.0):
    """L1 + small KL on ``(B, 3, H, W)`` crops in ``[-1, 1]``: each image is, with probability ``lq_frac``, the
    bicubic-upsampled degraded LQ crop instead of the HR crop. A real SD3 VAE has seen blurred and noisy photographs;
    one trained on sharp crops only reconstructs the bicubic image (whose latent is EAM's LR condition) poorly."""
    vae = model.vae.requires_grad_(True).train()
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(vae.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(iters, 1), eta_min=2e-4)
    for it in range(iters):
        batch = model.data_preprocessor(next(data), True)
        gt = torch.stack([s.gt_img for s in batch['data_samples']]) * 2 - 1
        if lq_frac > 0:
            up = F.interpolate(batch['inputs'], size=gt.shape[-2:], mode='bicubic', align_corners=False)
            use_lq = (torch.rand(gt.shape[0], generator=gen) < lq_frac).view(-1, 1, 1, 1)
            gt = torch.where(use_lq, up.clamp(0, 1) * 2 - 1, gt)
        if colour_aug:
            gt = permute_colours(gt, gen)
        post = vae.encode(gt).latent_dist
        rec = vae.decode(post.sample()).sample
        l1 = F.l1_loss(rec, gt)
        loss = l1 + 1e-6 * post.kl().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 100 == 0 or it == iters - 1:
            log(f'vae {it}: l1 {l1.item():.4f}')
    vae.requires_grad_(False).eval()
    with torch.no_grad():  # SD3-style normalisation of the trained latents: zero mean, unit variance
        zs = [vae.encode(torch.stack([s.gt_img for s in model.data_preprocessor(next(data), True)['data_samples']])
                         * 2 - 1).latent_dist.mode() for _ in range(4)]
        z = torch.cat(zs)
        vae.register_to_config(scaling_factor=float(1.0 / z.std()), shift_factor=float(z.mean()))


def train_base(model, data, iters, lr, log):
    """Rectified flow of the base transformer alone on HR latents (text-to-image with the fixed prompt)."""
    base = model.generator.base
    base.requires_grad_(True).train()
    opt = torch.optim.AdamW(base.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(iters, 1), eta_min=lr / 10)
    for it in range(iters):
        batch = model.data_preprocessor(next(data), True)
        gt = torch.stack([s.gt_img for s in batch['data_samples']])
        x0 = model.encode_images(gt)
        seq, pooled = model.encode_text([model.default_prompt] * x0.shape[0])
        t = model.sample_timesteps(x0.shape[0])
        noisy, target = model.noisy_and_target(x0, torch.randn_like(x0), t)
        pred = base(hidden_states=noisy, encoder_hidden_states=seq, pooled_projections=pooled, timestep=t).sample
        loss = F.mse_loss(pred, target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(base.parameters(), 1.0)
        opt.step()
        sched.step()
        if it % 100 == 0 or it == iters - 1:
            log(f'base {it}: loss {loss.item():.4f}')
    base.eval()
    return loss.item()


def save_stages(model, path):
    """The trained VAE (with its latent normalisation) and base DiT, for ``--reuse``; written atomically."""
    vae = model.vae
    atomic_torch_save(dict(vae=vae.state_dict(), base=model.generator.base.state_dict(),
                           scaling_factor=vae.config.scaling_factor, shift_factor=vae.config.shift_factor), path)


def load_stages(model, path):
    """Inverse of :func:`save_stages` (into a freshly built model, before :func:`rebuild_psi_dit`)."""
    from panguvision.utils.checkpoint import torch_load_safe
    state = torch_load_safe(path)
    model.vae.load_state_dict(state['vae'])
    model.vae.register_to_config(scaling_factor=state['scaling_factor'], shift_factor=state['shift_factor'])
    model.vae.requires_grad_(False).eval()
    model.generator.base.load_state_dict(state['base'])
    model.generator.base.eval()


def rebuild_psi_dit(model, freeze_base):
    """Psi-DiT on the trained base: LR streams copied from its noisy stream, zero merges. Returns max |Psi - base|
    on a random input (0: EAM starts as the base model)."""
    from panguvision.models.sr.eam import PsiDiT
    model.generator = PsiDiT(model.generator.base, freeze_base=freeze_base)
    with torch.no_grad():
        g = torch.Generator().manual_seed(0)
        c = model.generator.base.config
        x = torch.randn(2, c.in_channels, 16, 16, generator=g)
        lr = torch.randn(2, c.in_channels, 16, 16, generator=g)
        seq, pooled = model.encode_text(['a photo'] * 2)
        t = torch.tensor([300.0, 800.0])
        psi = model.generator(hidden_states=x, lr_latent=lr, encoder_hidden_states=seq, pooled_projections=pooled,
                              timestep=t)
        ref = model.generator.base(hidden_states=x, encoder_hidden_states=seq, pooled_projections=pooled,
                                   timestep=t).sample
    return float((psi - ref).abs().max())


def train_psi(model, data, iters, lr, log):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(iters, 1), eta_min=lr / 10)
    model.train()
    loss = torch.tensor(float('nan'))
    for it in range(iters):
        model.iter_override = it
        batch = model.data_preprocessor(next(data), True)
        loss = model.loss(batch['inputs'], batch['data_samples'])['loss_flow']
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if it % 100 == 0 or it == iters - 1:
            log(f'eam {it}: loss {loss.item():.4f} mask {model.current_mask_ratio():.3f}')
    model.iter_override = None
    model.eval()
    return loss.item(), sum(p.numel() for p in params)


def centre_crops(model, dataset_cfg, crop, scale):
    """(LQ, GT) centre crops (HR side ``crop``, clipped to the image) of every image of ``dataset_cfg``, in [0, 1]."""
    from mmengine.dataset import pseudo_collate

    from panguvision.registry import DATASETS
    dataset = DATASETS.build(dataset_cfg)
    pairs = []
    for i in range(len(dataset)):
        item = model.data_preprocessor(pseudo_collate([dataset[i]]), False)
        lq, gt = item['inputs'], item['data_samples'][0].gt_img
        h, w = lq.shape[-2:]
        c = min(crop // scale, h, w)
        top, left = (h - c) // 2, (w - c) // 2
        hr = gt[..., top * scale:(top + c) * scale, left * scale:(left + c) * scale]
        pairs.append((lq[..., top:top + c, left:left + c], hr))
    return pairs


def selection_dataset_cfg(cfg, seed):
    """The test dataset config on the *training* photographs with degradation seed ``seed``: for choosing sampler
    settings without the held-out photographs (their content was seen in training crops, so it flatters EAM; it is
    only used to rank settings)."""
    ds = cfg.test_dataloader.dataset.copy()
    ds.dataset = dict(ds.dataset, split='train')
    ds.seed = seed
    return ds


def setting_key(steps, sigma, k=1, levels=0):
    """``'4steps@0.6'``; with ``k > 1`` averaged samples ``'4steps@0.6x8'``; with a wavelet colour fix of
    ``levels > 0`` levels ``'4steps@0.6x8+cf5'``."""
    return f'{steps}steps@{sigma}' + (f'x{k}' if k > 1 else '') + (f'+cf{levels}' if levels > 0 else '')


def evaluate(model, pairs, settings, seed, out_dir=None, levels=(0, )):
    """Per-image dict: bicubic and VAE-reconstruction PSNR/SSIM, and for every ``(steps, start_sigma, K)`` setting
    and colour-fix ``levels`` (0: none; the fix is applied to the same sample, as ``test_cfg.colour_fix_levels``
    does) EAM's PSNR / SSIM and its LR-following margin (PSNR against its own GT minus the mean against the other
    GTs)."""
    from panguvision.evaluation.functional.image_quality import psnr, ssim
    from panguvision.models.sr.eam.eam_model import wavelet_colour_fix
    from panguvision.utils.image_io import tensor_to_image, write_image
    s = model.scale
    gts = [tensor_to_image(gt) for _, gt in pairs]
    rows = []
    for i, (lq, gt) in enumerate(pairs):
        with torch.no_grad():
            bic = F.interpolate(lq, scale_factor=s, mode='bicubic', align_corners=False).clamp(0, 1)[0]
            rec = model.decode_latents(model.encode_images(gt[None]))[0]
        row = dict(bicubic_psnr=psnr(tensor_to_image(bic), gts[i], s, True),
                   bicubic_ssim=ssim(tensor_to_image(bic), gts[i], s, True),
                   vae_reconstruction_psnr=psnr(tensor_to_image(rec), gts[i], s, True))
        for steps, sigma, k in settings:
            with torch.no_grad():
                raw = model.sample(lq, [model.default_prompt], num_steps=steps, seed=seed, start_sigma=sigma,
                                   num_samples=k, colour_fix_levels=0)
            for lv in sorted(set(levels)):
                key = setting_key(steps, sigma, k, lv)
                sr = tensor_to_image(wavelet_colour_fix(raw, bic[None], lv)[0])
                own = psnr(sr, gts[i], s, True)
                row[f'eam_psnr@{key}'] = own
                row[f'eam_ssim@{key}'] = ssim(sr, gts[i], s, True)
                if len(gts) > 1:
                    others = [psnr(sr, g, s, True) for j, g in enumerate(gts) if j != i]
                    row[f'follows_lr_margin@{key}'] = own - float(np.mean(others))
                if out_dir:
                    write_image(osp.join(out_dir, f'{i}_eam_{key}.png'), sr)
        if out_dir:
            write_image(osp.join(out_dir, f'{i}_bicubic.png'), tensor_to_image(bic))
            write_image(osp.join(out_dir, f'{i}_gt.png'), gts[i])
            write_image(osp.join(out_dir, f'{i}_vae_reconstruction.png'), tensor_to_image(rec))
        rows.append(row)
    return rows


def mean_rows(rows):
    return {key: round(float(np.mean([r[key] for r in rows])), 3) for key in rows[0]}


def sampler_settings(model, steps_list, sigmas, ks=(1, )):
    """Every ``(steps, start_sigma, K)`` whose schedule has a sigma at or below ``start_sigma`` (one step from pure
    noise only, for example), for every number ``K`` of averaged samples; a setting that runs the same sigmas as an
    earlier one (fewer steps first, then higher start) is left out (the N-step schedule is ``linspace(1, 0.001, N)``
    at shift 1, so 4 steps from 0.6 and from 0.4 both run 0.334 -> 0.001 -> 0)."""
    from diffusers import FlowMatchEulerDiscreteScheduler
    out, seen = [], set()
    for steps in sorted(set(steps_list)):
        scheduler = FlowMatchEulerDiscreteScheduler(shift=model.flow_cfg['shift'])
        scheduler.set_timesteps(steps)
        for sigma in sorted(set(sigmas), reverse=True):
            run = tuple(round(float(x), 4) for x in scheduler.sigmas[:-1] if sigma >= 1.0 or x <= sigma + 1e-6)
            if run and run not in seen:
                seen.add(run)
                out.extend((steps, sigma, k) for k in sorted(set(ks)))
    return out


def select_setting(means, settings):
    """The ``(steps, start_sigma, K[, levels])`` with the highest mean EAM PSNR (ties: fewer samples, then fewer
    steps, then fewer colour-fix levels)."""
    return max(settings, key=lambda st: (means[f'eam_psnr@{setting_key(*st)}'], -st[2], -st[0], -sum(st[3:])))


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from panguvision.registry import DATASETS, MODELS

    def log(msg):
        print(msg, flush=True)

    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    init_default_scope('panguvision')
    # One fixed prompt everywhere (training, sampling, DSPO): the tiny random text encoder carries no meaning, and
    # the fallback captioner would differ between training (no prompter) and inference.
    cfg.model.prompter = None
    cfg.model.default_prompt = ''
    cfg.model.transformer.freeze_base = not args.train_base
    model = MODELS.build(cfg.model)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    data = batches(train_set, args.batch_size, np.random.default_rng(args.seed))
    result = dict(config=args.config, vae_iters=args.vae_iters, base_iters=args.base_iters, iters=args.iters,
                  batch_size=args.batch_size, steps=args.steps, train_base=args.train_base,
                  vae_colour_aug=not args.no_vae_colour_aug, vae_lq_frac=args.vae_lq_frac, num_samples=args.num_samples,
                  sigma_range=args.sigma_range, reuse=args.reuse, reuse_psi=args.reuse_psi,
                  threads=torch.get_num_threads())
    if args.out:
        os.makedirs(args.out, exist_ok=True)

    if args.reuse:  # stages 1-2 of an earlier run (its train times are in its own result.json)
        load_stages(model, osp.join(args.reuse, 'stages.pth'))
        log(f'reused the VAE and base DiT of {args.reuse}')
    else:
        t0 = time.time()
        train_vae(model, data, args.vae_iters, log, colour_aug=not args.no_vae_colour_aug, seed=args.seed,
                  lq_frac=args.vae_lq_frac)
        result['vae_train_s'] = round(time.time() - t0, 1)
        t0 = time.time()
        result['base_final_loss'] = round(train_base(model, data, args.base_iters, args.lr, log), 4) \
            if args.base_iters else None
        result['base_train_s'] = round(time.time() - t0, 1)
        if args.out:
            save_stages(model, osp.join(args.out, 'stages.pth'))
    result['psi_dit_minus_base_at_init'] = rebuild_psi_dit(model, freeze_base=not args.train_base)
    log(f"Psi-DiT at init: max |Psi - base| = {result['psi_dit_minus_base_at_init']:.3g}")
    model.mask_cfg['anneal_iters'] = max(args.iters // 2, 1)
    if args.mask:
        model.mask_cfg.update(r_max=args.mask[0], r_min=args.mask[1])
    if args.sigma_range:
        model.flow_cfg['sigma_range'] = tuple(args.sigma_range)
    result['mask'] = [model.mask_cfg['r_max'], model.mask_cfg['r_min']]
    if args.reuse and args.reuse_psi:
        from panguvision.utils.checkpoint import load_weights_file
        model.load_state_dict(load_weights_file(osp.join(args.reuse, 'eam_tiny.pth'), key='state_dict'))
        model.eval()
        log(f'reused the Psi-DiT of {args.reuse}: evaluation only')
    else:
        t0 = time.time()
        final, n_params = train_psi(model, data, args.iters, args.lr, log)
        result.update(eam_train_s=round(time.time() - t0, 1), final_loss=round(final, 4), trainable_params=n_params)

    settings = sampler_settings(model, args.steps, args.start_sigmas, args.num_samples)
    levels = sorted(set(args.colour_fix_levels))
    t0 = time.time()
    select = mean_rows(evaluate(model, centre_crops(model, selection_dataset_cfg(cfg, args.select_seed), args.crop,
                                                    model.scale), settings, args.seed, levels=levels))
    steps, sigma, k, lv = select_setting(select, [st + (lv, ) for st in settings for lv in levels])
    key = setting_key(steps, sigma, k, lv)
    result['selection'] = dict(images='train photographs', degradation_seed=args.select_seed, **select)
    result.update(selected_steps=steps, selected_start_sigma=sigma, selected_num_samples=k, selected_colour_fix=lv,
                  select_s=round(time.time() - t0, 1))
    log(f'selected on the training photographs: {key} (PSNR {select[f"eam_psnr@{key}"]:.2f} vs bicubic '
        f'{select["bicubic_psnr"]:.2f})')

    t0 = time.time()
    rows = evaluate(model, centre_crops(model, cfg.test_dataloader.dataset, args.crop, model.scale), settings,
                    args.seed, args.out, levels)
    result['test_s'] = round(time.time() - t0, 1)
    result.update(mean_rows(rows))
    result['per_image'] = rows
    result['eam_psnr_selected'] = result[f'eam_psnr@{key}']
    result['eam_ssim_selected'] = result[f'eam_ssim@{key}']
    for i, row in enumerate(rows):
        log(f"held-out {i}: EAM {row[f'eam_psnr@{key}']:.2f} dB, bicubic {row['bicubic_psnr']:.2f} dB, "
            f"VAE {row['vae_reconstruction_psnr']:.2f} dB, LR-following margin {row.get(f'follows_lr_margin@{key}')}")
    result['vae_above_bicubic'] = result['vae_reconstruction_psnr'] > result['bicubic_psnr']
    result['beats_bicubic'] = result['eam_psnr_selected'] > result['bicubic_psnr']
    line = json.dumps(result)
    print(line)
    if args.out:
        with open(osp.join(args.out, 'result.json'), 'w') as f:
            f.write(line + '\n')
        atomic_torch_save(dict(state_dict=model.state_dict()), osp.join(args.out, 'eam_tiny.pth'))
        trained = cfg.copy()
        trained.model.transformer.freeze_base = True  # what a checkpoint user fine-tunes (DSPO): the LR streams
        trained.model.vae.update(scaling_factor=model.vae.config.scaling_factor,
                                 shift_factor=model.vae.config.shift_factor)
        trained.model.test_cfg.update(seed=None, num_steps=steps, start_sigma=sigma, num_samples=k,
                                      colour_fix_levels=lv)
        trained.model.flow_cfg.update(sigma_range=tuple(model.flow_cfg['sigma_range']))
        trained.dump(osp.join(args.out, 'eam_tiny_trained.py'))
    return 0 if result['beats_bicubic'] and result['vae_above_bicubic'] else 1


if __name__ == '__main__':
    sys.exit(main())
