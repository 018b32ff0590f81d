"""Does IGTR's reasoning prefix help? Train and evaluate on synthetic shapes, on the CPU, through the real tools.

``python tools/misc/igtr_learning_check.py [--work-dir DIR] [--vq-iters N] [--gpt-iters N] [--vq-ckpt CKPT]``

1. ``tools/train.py configs/igtr/vq_tiny_synthetic_shapes.py``: the VQ tokenizer (skipped with ``--vq-ckpt``);
2. ``tools/train.py`` of ``igtr_tiny_synthetic_shapes.py`` (reasoning prefix) and of
   ``igtr_tiny_noprefix_synthetic_shapes.py`` (the same model without it), both on that tokenizer, same seed;
3. ``tools/test.py`` of both on 150 held-out scenes: teacher-forced token NLL of the held-out images, and prompt
   consistency of the images sampled for the held-out scenes' descriptions (their subject colour, background colour,
   vertical / horizontal third and size, read back from the pixels) plus shape accuracy;
4. ``tools/analysis_tools/benchmark.py`` of the prefix model's sampling with and without KV cache (tokens/s).

Prints a table and writes ``summary.json`` in the work dir. Every number comes from these runs.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VQ_CONFIG = 'configs/igtr/vq_tiny_synthetic_shapes.py'
GPT_CONFIGS = {'with prefix': 'configs/igtr/igtr_tiny_synthetic_shapes.py',
               'without prefix': 'configs/igtr/igtr_tiny_noprefix_synthetic_shapes.py'}


def run(args, log_path):
    """Run a repository script with this interpreter; its output goes to ``log_path``; returns seconds taken."""
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        proc = subprocess.run([sys.executable, *args], cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f'{" ".join(args[:2])} failed (exit {proc.returncode}); log {log_path}:\n{tail}')
    return time.perf_counter() - start


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def logged_metrics(work_dir):
    """The last line of the run's metrics log (``<run>/<run>.json`` of a test, ``<run>/vis_data/<run>.json`` of a
    training run): its last validation."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')) +
                  glob.glob(osp.join(work_dir, '*', 'vis_data', '2*.json')))
    if not logs:
        raise FileNotFoundError(f'no metrics json under {work_dir}')
    with open(logs[-1]) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/igtr_learning_check')
    parser.add_argument('--vq-iters', type=int, default=None, help='default: the config\'s')
    parser.add_argument('--gpt-iters', type=int, default=None, help='default: the config\'s')
    parser.add_argument('--vq-ckpt', help='reuse a trained tokenizer checkpoint (of a previous run)')
    parser.add_argument('--bench-batch', type=int, default=8)
    return parser.parse_args()


def main():
    args = parse_args()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    summary = dict(threads=os.environ.get('OMP_NUM_THREADS'), seconds={})
    vq_ckpt = args.vq_ckpt
    if vq_ckpt is None:
        vq_dir = osp.join(work, 'vq')
        opts = [f'train_cfg.max_iters={args.vq_iters}'] if args.vq_iters else []
        summary['seconds']['train_vq'] = run(['tools/train.py', VQ_CONFIG, '--work-dir', vq_dir,
                                              *(['--cfg-options', *opts] if opts else [])], osp.join(work, 'vq.log'))
        vq_ckpt = last_checkpoint(vq_dir)
        vq_metrics = logged_metrics(vq_dir)
        summary['vq'] = dict(checkpoint=vq_ckpt, PSNR=vq_metrics.get('PSNR'), SSIM=vq_metrics.get('SSIM'))
        print(f'VQ tokenizer: {vq_ckpt} (held-out PSNR {vq_metrics.get("PSNR"):.2f} dB)', flush=True)
    summary['models'] = {}
    for name, config in GPT_CONFIGS.items():
        tag = name.replace(' ', '_')
        gpt_dir = osp.join(work, tag)
        opts = [f'model.tokenizer_ckpt={vq_ckpt}']
        if args.gpt_iters:
            opts.append(f'train_cfg.max_iters={args.gpt_iters}')
        train_s = run(['tools/train.py', config, '--work-dir', gpt_dir, '--cfg-options', *opts],
                      osp.join(work, f'{tag}_train.log'))
        ckpt = last_checkpoint(gpt_dir)
        test_dir = osp.join(work, f'{tag}_test')
        test_s = run(['tools/test.py', config, ckpt, '--work-dir', test_dir], osp.join(work, f'{tag}_test.log'))
        metrics = {k: v for k, v in logged_metrics(test_dir).items() if k not in ('data_time', 'time')}
        summary['models'][name] = dict(config=config, checkpoint=ckpt, metrics=metrics)
        summary['seconds'][f'train_{tag}'], summary['seconds'][f'test_{tag}'] = train_s, test_s
        print(f'{name}: ' + ', '.join(f'{k}={v:.4f}' for k, v in metrics.items()), flush=True)

    bench = {}
    ckpt = summary['models']['with prefix']['checkpoint']
    for cache in (True, False):
        out = osp.join(work, f'bench_kv_{cache}.json')
        run(['tools/analysis_tools/benchmark.py', GPT_CONFIGS['with prefix'], '--checkpoint', ckpt, '--batch-size',
             str(args.bench_batch), '--warmup', '1', '--repeat', '3', '--out', out, '--cfg-options',
             'model.test_cfg.compute_nll=False', f'model.sampling_cfg.use_kv_cache={cache}'],
            osp.join(work, f'bench_kv_{cache}.log'))
        with open(out) as f:
            result = json.load(f)
        bench[f'kv_cache={cache}'] = dict(latency_ms=result['latency_ms']['median'],
                                          images_per_s=result['throughput_img_s'], threads=result['threads'])
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, GPT_CONFIGS['with prefix']))
    f = cfg.model.tokenizer.get('stem_stride', 1) * 2**(len(cfg.model.tokenizer.ch_mult) - 1)
    n_tokens = (cfg.model.image_size // f)**2
    for entry in bench.values():
        entry['image_tokens_per_s'] = entry['images_per_s'] * n_tokens
    summary['sampling_speed'] = dict(batch_size=args.bench_batch, image_tokens_per_image=n_tokens, **bench)

    with open(osp.join(work, 'summary.json'), 'w') as fh:
        json.dump(summary, fh, indent=2)
    keys = ['token_nll', 'joint_nll_bits', 'consistency', 'consistency/fg_color', 'consistency/bg_color',
            'consistency/vertical', 'consistency/horizontal', 'consistency/size', 'shape_acc']
    rows = [['model'] + keys]
    for name, entry in summary['models'].items():
        rows.append([name] + [f'{entry["metrics"].get(k, float("nan")):.4f}' for k in keys])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print('\n'.join(' | '.join(c.ljust(w) for c, w in zip(r, widths)) for r in rows))
    for key, entry in bench.items():
        print(f'sampling {key}: {entry["image_tokens_per_s"]:.1f} image tokens/s (batch {args.bench_batch}, '
              f'{entry["latency_ms"]:.0f} ms per batch)')
    print(f'summary: {osp.join(work, "summary.json")}; seconds: ' +
          ', '.join(f'{k} {v:.0f}' for k, v in summary['seconds'].items()))


if __name__ == '__main__':
    main()
