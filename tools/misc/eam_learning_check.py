"""Does a tiny EAM learn? Train it on degraded built-in photographs and compare its PSNR with bicubic on held-out ones.

``OMP_NUM_THREADS=1 python tools/misc/eam_learning_check.py [--vae-iters 600] [--iters 600] [--out DIR]``

A randomly initialised VAE cannot reconstruct images, so stage 1 trains the tiny ``AutoencoderKL`` of
``configs/_base_/models/eam_tiny.py`` (L1 + small KL on HR crops); stage 2 freezes it and trains EAM's LR streams
(flow matching, progressive masking; with ``--train-base`` the random base DiT too) on Real-ESRGAN-degraded crops;
stage 3 samples the 3 held-out photographs (fixed degradation, centre 256x256 HR crops) and reports PSNR / SSIM (Y,
crop 4) of EAM and of bicubic, the PSNR of the VAE's own reconstruction of the HR crop (a ceiling for
any model in its latent space) and the times.
Prints one JSON line; writes it to ``--out/result.json`` when given.
"""
import argparse
import json
import os
import os.path as osp
import time

import numpy as np
import torch
import torch.nn.functional as F


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default='configs/eam/eam_tiny_x4_realesrgan_builtin.py')
    p.add_argument('--vae-iters', type=int, default=600)
    p.add_argument('--iters', type=int, default=600)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--steps', type=int, default=8, help='sampling steps')
    p.add_argument('--crop', type=int, default=256, help='HR centre crop of the held-out photographs')
    p.add_argument('--train-base', action='store_true',
                   help='also train the (random) base DiT: the tiny base is not pre-trained, so freezing it keeps a '
                   'random network in the path')
    p.add_argument('--mask', type=float, nargs=2, default=None, metavar=('R_MAX', 'R_MIN'),
                   help='override the progressive-masking ratios of the config')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default=None)
    return p.parse_args()


def batches(dataset, batch_size, rng):
    from mmengine.dataset import pseudo_collate
    while True:
        idx = rng.integers(0, len(dataset), batch_size)
        yield pseudo_collate([dataset[int(i)] for i in idx])


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from panguvision.evaluation.functional.image_quality import psnr, ssim
    from panguvision.registry import DATASETS, MODELS
    from panguvision.utils.image_io import tensor_to_image
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(args.config)
    init_default_scope('panguvision')
    if args.train_base:
        cfg.model.transformer.freeze_base = False
    model = MODELS.build(cfg.model)
    model.test_cfg.update(num_steps=args.steps)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    rng = np.random.default_rng(args.seed)
    data = batches(train_set, args.batch_size, rng)
    result = dict(config=args.config, vae_iters=args.vae_iters, iters=args.iters, batch_size=args.batch_size,
                  steps=args.steps, train_base=args.train_base)

    # Stage 1: the tiny VAE (a random one cannot reconstruct).
    vae = model.vae.requires_grad_(True).train()
    opt = torch.optim.Adam(vae.parameters(), lr=2e-3)
    t0 = time.time()
    for it in range(args.vae_iters):
        batch = model.data_preprocessor(next(data), True)
        gt = torch.stack([s.gt_img for s in batch['data_samples']]) * 2 - 1
        post = vae.encode(gt).latent_dist
        rec = vae.decode(post.sample()).sample
        loss = F.l1_loss(rec, gt) + 1e-6 * post.kl().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 100 == 0 or it == args.vae_iters - 1:
            print(f'vae {it}: l1 {F.l1_loss(rec, gt).item():.4f}', flush=True)
    vae.requires_grad_(False).eval()
    result['vae_train_s'] = round(time.time() - t0, 1)
    # SD3-style normalisation of the trained latents: unit variance.
    with torch.no_grad():
        batch = model.data_preprocessor(next(data), True)
        z = vae.encode(torch.stack([s.gt_img for s in batch['data_samples']]) * 2 - 1).latent_dist.mode()
        vae.register_to_config(scaling_factor=float(1.0 / z.std()), shift_factor=float(z.mean()))

    # Stage 2: EAM's LR streams.
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-4, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(args.iters, 1), eta_min=5e-5)
    model.mask_cfg['anneal_iters'] = max(args.iters // 2, 1)
    if args.mask:
        model.mask_cfg.update(r_max=args.mask[0], r_min=args.mask[1])
    result['mask'] = [model.mask_cfg['r_max'], model.mask_cfg['r_min']]
    model.train()
    t0 = time.time()
    for it in range(args.iters):
        model.iter_override = it
        batch = model.data_preprocessor(next(data), True)
        loss = model.loss(batch['inputs'], batch['data_samples'])['loss_flow']
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if it % 50 == 0 or it == args.iters - 1:
            print(f'eam {it}: loss {loss.item():.4f} mask {model.current_mask_ratio():.3f}', flush=True)
    result['eam_train_s'] = round(time.time() - t0, 1)
    result['final_loss'] = round(loss.item(), 4)

    # Stage 3: held-out photographs.
    model.eval()
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    rows = []
    t0 = time.time()
    for i in range(len(test_set)):
        item = model.data_preprocessor(pseudo_collate_one(test_set[i]), False)
        lq, gt = item['inputs'], item['data_samples'][0].gt_img
        h, w = lq.shape[-2:]
        c = args.crop // 4
        top, left = (h - c) // 2, (w - c) // 2
        lq = lq[..., top:top + c, left:left + c]
        gt = gt[..., top * 4:(top + c) * 4, left * 4:(left + c) * 4]
        with torch.no_grad():
            sr = model.infer(lq)[0]
            bic = F.interpolate(lq, scale_factor=4, mode='bicubic', align_corners=False).clamp(0, 1)[0]
            rec = model.decode_latents(model.encode_images(gt[None]))[0]  # the VAE's ceiling for any latent model
        gt_img, sr_img, bic_img, rec_img = (tensor_to_image(x) for x in (gt, sr, bic, rec))
        rows.append(dict(eam_psnr=psnr(sr_img, gt_img, 4, True), bicubic_psnr=psnr(bic_img, gt_img, 4, True),
                         eam_ssim=ssim(sr_img, gt_img, 4, True), bicubic_ssim=ssim(bic_img, gt_img, 4, True),
                         vae_reconstruction_psnr=psnr(rec_img, gt_img, 4, True)))
        if args.out:
            from panguvision.utils.image_io import write_image
            write_image(osp.join(args.out, f'{i}_eam.png'), sr_img)
            write_image(osp.join(args.out, f'{i}_bicubic.png'), bic_img)
            write_image(osp.join(args.out, f'{i}_gt.png'), gt_img)
    result['test_s'] = round(time.time() - t0, 1)
    for key in rows[0]:
        result[key] = round(float(np.mean([r[key] for r in rows])), 3)
    result['per_image'] = rows
    result['beats_bicubic'] = result['eam_psnr'] > result['bicubic_psnr']
    line = json.dumps(result)
    print(line)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(osp.join(args.out, 'result.json'), 'w') as f:
            f.write(line + '\n')


def pseudo_collate_one(item):
    from mmengine.dataset import pseudo_collate
    return pseudo_collate([item])


if __name__ == '__main__':
    main()
