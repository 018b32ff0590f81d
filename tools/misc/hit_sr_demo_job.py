"""The README's demo job (``make demo``): HiT-SRF x4 end to end on CPU with no download.

1. trains HiT-SRF x4 (the full released architecture) from scratch on scikit-image's bundled photographs through
   ``tools/train.py`` (config ``configs/hit_sr/hit_srf_x4_builtin_demo.py``);
2. evaluates it and the bicubic baseline on the held-out photographs through ``tools/test.py``;
3. prints a PSNR/SSIM table (Y channel, crop border 4) and writes ``[bicubic | HiT-SRF | GT]`` side by side for
   every held-out image into ``--work-dir``.

A few hundred iterations from scratch are nowhere near the paper's 500k: the point is the whole pipeline running on
real photographs, not the paper's numbers (see configs/hit_sr/README.md for those).
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SR_CONFIG = osp.join(ROOT, 'configs/hit_sr/hit_srf_x4_builtin_demo.py')
BICUBIC_CONFIG = osp.join(ROOT, 'configs/bicubic/bicubic_x4_builtin.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'hit_sr_demo_job'))
    parser.add_argument('--iters', type=int, default=None, help='training iterations (config default: 300)')
    parser.add_argument('--threads', type=int, default=None, help='torch threads (default: all cores)')
    return parser.parse_args()


def run(cmd, env):
    print('+', ' '.join(osp.relpath(c, ROOT) if c.startswith(ROOT) else c for c in cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def test_metrics(work_dir: str) -> dict:
    """The metrics ``tools/test.py`` logged (mmengine writes ``<work_dir>/<timestamp>/<timestamp>.json``)."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise FileNotFoundError(f'no metrics json under {work_dir}')
    with open(logs[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return lines[-1]


def main():
    args = parse_args()
    env = dict(os.environ)
    if args.threads:
        env['OMP_NUM_THREADS'] = str(args.threads)
    start = time.time()
    train_dir = osp.join(args.work_dir, 'train')
    train_cmd = [sys.executable, 'tools/train.py', SR_CONFIG, '--work-dir', train_dir]
    if args.iters:
        train_cmd += ['--cfg-options', f'train_cfg.max_iters={args.iters}']
    run(train_cmd, env)
    with open(osp.join(train_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()

    results = {}
    for name, config, ckpt in (('Bicubic', BICUBIC_CONFIG, None), ('HiT-SRF x4 (demo)', SR_CONFIG, checkpoint)):
        test_dir = osp.join(args.work_dir, 'test_' + ('bicubic' if ckpt is None else 'hit_srf'))
        cmd = [sys.executable, 'tools/test.py', config] + ([ckpt] if ckpt else []) + ['--work-dir', test_dir]
        run(cmd, env)
        results[name] = test_metrics(test_dir)

    # Side-by-side images of the held-out set, through the inference API.
    from mmengine.config import Config

    from panguvision.apis import inference_sr, init_model
    from panguvision.registry import DATASETS
    from panguvision.utils.image_io import write_image
    from panguvision.visualization import side_by_side
    sr_model = init_model(SR_CONFIG, checkpoint)
    bicubic = init_model(BICUBIC_CONFIG)
    # The test pipeline up to packing (load, mod-crop, MATLAB-bicubic degrade) gives the same LR the metrics saw.
    val_cfg = Config.fromfile(SR_CONFIG).test_dataloader.dataset
    dataset = DATASETS.build(dict(val_cfg, pipeline=[t for t in val_cfg.pipeline if t['type'] != 'PackSRInputs']))
    written = []
    for index in range(len(dataset)):
        item = dataset[index]
        lq, gt = item['lq'], item['gt']
        panel = side_by_side([inference_sr(bicubic, lq), inference_sr(sr_model, lq), gt],
                             ['Bicubic', 'HiT-SRF x4', 'GT'])
        out = osp.join(args.work_dir, f'side_by_side_{item["img_id"]}.png')
        write_image(out, panel)
        written.append(out)

    print('\nHeld-out built-in photographs, x4, Y channel, crop border 4')
    print(f'| {"model":<20} | {"PSNR (dB)":>9} | {"SSIM":>6} |')
    print(f'|{"-" * 22}|{"-" * 11}|{"-" * 8}|')
    for name, metrics in results.items():
        print(f'| {name:<20} | {metrics["PSNR"]:>9.2f} | {metrics["SSIM"]:>6.4f} |')
    print(f'\nside-by-side images: {", ".join(osp.relpath(p, ROOT) for p in written)}')
    print(f'total time: {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
