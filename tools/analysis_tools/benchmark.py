"""Latency, throughput and peak memory of any model config, with the machine's matmul speed for reference.

``python tools/analysis_tools/benchmark.py CONFIG [--mode inference|train] [--input-size H W] [--batch-size N]
[--threads T] [--warmup K] [--repeat R] [--device auto] [--out result.json]``

One call is ``model.test_step(batch)`` (inference: data preprocessor + predict, no grad) or ``model.train_step(batch,
optim_wrapper)`` (train: forward + loss + backward + optimiser step, optimiser wrapper from the config). Every call
gets a fresh random batch built outside the timed region. Units: latency in ms per call, throughput in images/s
(``batch_size / median latency``), memory in MiB, matmul speed in GFLOP/s (``2 n^3 / seconds``, fp32, same device and
thread count), so numbers taken on different machines can be related.
"""
import argparse
import json
import os
import os.path as osp
import platform
import resource
import statistics
import sys
import threading
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper

from panguvision.apis import init_model, resolve_device


def build_sr_batch(model, batch_size: int, size: tuple, generator: torch.Generator) -> dict:
    """Random SR batch packed like ``PackSRInputs`` + ``pseudo_collate``: LQ (3, h, w), GT (3, h*s, w*s), 0..255."""
    from panguvision.structures import SRDataSample
    scale = model.scale
    h, w = size
    inputs, samples = [], []
    for _ in range(batch_size):
        inputs.append(torch.rand(3, h, w, generator=generator) * 255)
        gt = torch.rand(3, h * scale, w * scale, generator=generator) * 255
        samples.append(SRDataSample(gt_img=gt, metainfo=dict(scale=scale, lq_shape=(h, w))))
    return dict(inputs=inputs, data_samples=samples)


#: Input builders keyed by task; each takes ``(model, batch_size, (h, w), torch.Generator)`` and returns a batch.
BATCH_BUILDERS = {'sr': build_sr_batch}
#: Model classes (by name, matched along the MRO) -> task. Models may also declare a ``task`` attribute.
MODEL_TASKS = {'SRModel': 'sr'}


def batch_builder(model):
    """The input builder for ``model``: its own ``benchmark_batch(batch_size, (h, w), generator)`` method when it has
    one (a model knows its data samples best), else the builder of its task in ``BATCH_BUILDERS``."""
    if callable(getattr(model, 'benchmark_batch', None)):
        return lambda m, batch_size, size, generator: m.benchmark_batch(batch_size, size, generator)
    return BATCH_BUILDERS[model_task(model)]


def model_task(model) -> str:
    task = getattr(model, 'task', None)
    for cls in type(model).__mro__:
        task = task or MODEL_TASKS.get(cls.__name__)
    if task not in BATCH_BUILDERS:
        raise NotImplementedError(f'benchmark.py cannot make inputs for {type(model).__name__} (task {task!r}); '
                                  f'supported tasks: {sorted(BATCH_BUILDERS)}. Give the model a '
                                  'benchmark_batch() method or add a builder to BATCH_BUILDERS.')
    return task


def synchronize(device: str) -> None:
    """Wait for queued work on ``device`` (``torch.<type>.synchronize``; a no-op on CPU)."""
    backend = getattr(torch, torch.device(device).type, None)
    if backend is not None and hasattr(backend, 'synchronize'):
        backend.synchronize()


def rss_bytes() -> int:
    import psutil
    return psutil.Process().memory_info().rss


def max_rss_bytes() -> int:
    """Process high-water RSS (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == 'darwin' else peak * 1024


class RSSSampler(threading.Thread):
    """Samples the process RSS every ``interval`` s; with ``ru_maxrss`` gives the peak of the measured region."""

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True)
        self.interval, self.stop_event = interval, threading.Event()
        self.baseline = self.peak = rss_bytes()
        self.maxrss_before = max_rss_bytes()

    def run(self):
        while not self.stop_event.wait(self.interval):
            self.peak = max(self.peak, rss_bytes())

    def finish(self) -> float:
        """Stop; peak RSS above the baseline in MiB (exact when the process high-water mark rose meanwhile)."""
        self.stop_event.set()
        self.join()
        maxrss_after = max_rss_bytes()
        peak = max(self.peak, maxrss_after if maxrss_after > self.maxrss_before else 0)
        return (peak - self.baseline) / 2**20


def matmul_gflops(device: str, n: int = 2048, min_time: float = 0.5) -> float:
    """Best fp32 ``n x n @ n x n`` speed in GFLOP/s over runs lasting at least ``min_time`` s in total."""
    a, b = (torch.randn(n, n, device=device) for _ in range(2))
    torch.mm(a, b)
    synchronize(device)
    best, spent = float('inf'), 0.0
    while spent < min_time or best == float('inf'):
        start = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
    return 2 * n**3 / best / 1e9


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark a PanguVision model (latency, throughput, memory)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', help='weights to load (optional: random weights time the same)')
    parser.add_argument('--mode', choices=['inference', 'train'], default='inference')
    parser.add_argument('--input-size', type=int, nargs=2, default=[64, 64], metavar=('H', 'W'), help='input pixels')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None, help='torch intra-op CPU threads (default: torch\'s)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed calls first')
    parser.add_argument('--repeat', type=int, default=10, help='timed calls')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu | ... (auto: mmengine get_device)')
    parser.add_argument('--matmul-size', type=int, default=2048, help='n of the reference n^3 fp32 matmul')
    parser.add_argument('--out', help='write the results as JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args()
    if args.repeat < 1 or args.warmup < 0 or args.batch_size < 1:
        parser.error('--repeat and --batch-size must be >= 1, --warmup >= 0')
    return args


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_model(cfg, args.checkpoint, device=device)
    build_batch = batch_builder(model)
    if args.mode == 'train':
        if 'optim_wrapper' not in cfg:
            raise RuntimeError(f'{args.config}: --mode train needs `optim_wrapper` in the config')
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        step = lambda batch: model.train_step(batch, optim_wrapper)  # noqa: E731
    else:
        step = model.test_step

    dev_backend = getattr(torch, torch.device(device).type)
    on_accelerator = torch.device(device).type != 'cpu' and hasattr(dev_backend, 'max_memory_allocated')
    if on_accelerator:
        dev_backend.reset_peak_memory_stats()
        allocated_before = dev_backend.memory_allocated()
    rng = torch.Generator().manual_seed(0)
    sampler = RSSSampler()
    sampler.start()
    times = []
    for i in range(args.warmup + args.repeat):
        batch = build_batch(model, args.batch_size, tuple(args.input_size), rng)
        synchronize(device)
        start = time.perf_counter()
        step(batch)
        synchronize(device)
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1e3)
    rss_delta = sampler.finish()
    memory = dict(host_rss_peak_delta_mib=rss_delta)
    if on_accelerator:
        memory.update(device_peak_allocated_mib=dev_backend.max_memory_allocated() / 2**20,
                      device_peak_delta_mib=(dev_backend.max_memory_allocated() - allocated_before) / 2**20)
    median = statistics.median(times)
    latency = dict(min=min(times), median=median, mean=statistics.fmean(times))
    scale = getattr(model, 'scale', 1)
    result = dict(
        config=args.config, checkpoint=args.checkpoint, mode=args.mode, device=device,
        threads=torch.get_num_threads(), batch_size=args.batch_size, input_size=list(args.input_size),
        output_size=[s * scale for s in args.input_size], warmup=args.warmup, repeat=args.repeat,
        latency_ms=latency,
        throughput_img_s=args.batch_size / (median / 1e3), memory=memory,
        matmul=dict(size=args.matmul_size, dtype='float32',
                    gflops=matmul_gflops(device, args.matmul_size)),
        env=dict(torch=torch.__version__, python=platform.python_version(), machine=platform.machine(),
                 processor=platform.processor(), cpu_count=os.cpu_count()))

    size = 'x'.join(map(str, args.input_size))
    rows = [('config', osp.basename(args.config)), ('mode / device', f'{args.mode} / {device}'),
            ('threads', result['threads']), ('batch x input (H x W)', f'{args.batch_size} x {size}'),
            ('latency min / median / mean (ms)', '{min:.2f} / {median:.2f} / {mean:.2f}'.format(**latency)),
            ('throughput (images/s)', f'{result["throughput_img_s"]:.3f}')]
    rows += [(f'{key.replace("_mib", "")} (MiB)', f'{value:.1f}') for key, value in memory.items()]
    rows.append((f'fp32 matmul {args.matmul_size}^3 (GFLOP/s)', f'{result["matmul"]["gflops"]:.1f}'))
    width = max(len(key) for key, _ in rows)
    print('\n'.join(f'{key:<{width}} | {value}' for key, value in rows))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'results written to {args.out}')


if __name__ == '__main__':
    main()
