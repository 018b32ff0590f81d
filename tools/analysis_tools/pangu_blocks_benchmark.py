"""Measurements of the Pangu LLM building blocks (``panguvision/models/layers/pangu``).

``python tools/analysis_tools/pangu_blocks_benchmark.py [--sections moge dssn esa pruning] [--threads 1]
[--seq-lens 1024 4096 8192] [--train-steps 300] [--device auto] [--quick] [--out result.json]``

- moge: MoGE (N experts in M groups, top-K, one shared expert) against a dense SwiGLU with the same active
  parameters per token (hidden width (K + shared) * F): total / active parameters, forward time per token (ms / 1k
  tokens, median), and the per-group expert calls per token.
- dssn: residual-stream RMS by depth at initialisation for 16- and 64-layer stacks, depth-scaled sandwich norm +
  TinyInit against plain pre-norm stacks (PyTorch default Linear init, and N(0, 0.02)).
- esa: causal self-attention over one sequence (B = 1, 8 heads x 64): full SDPA against ESA, prefill (all queries)
  and decoding (the last query over the cached keys; ESA stateless, and incremental with its compressed keys kept)
  time, attended (query, key) pairs, and the relative output error on random q / k / v and on a sequence with a few
  important tokens.
- pruning: a byte-level PanguReferenceLM trained for ``--train-steps`` steps (batch 8 x 128 bytes) on text of the
  Python standard library (local files, no download), then pruned (heads, FFN neurons, width with / without SLNP,
  depth with / without CLAP, importance against random heads); parameters, held-out loss (nats / byte) and the
  relative change of the held-out logits.

Times are medians over ``--repeat`` runs (5x as many for single decoding steps) after one warm-up, in milliseconds,
on the given device and thread count.
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timed(fn, repeat: int, device: str) -> float:
    """Median wall time of ``fn()`` in ms (one warm-up call first)."""
    def sync():
        backend = getattr(torch, torch.device(device).type, None)
        if backend is not None and hasattr(backend, 'synchronize'):
            backend.synchronize()

    fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench_moge(args) -> dict:
    from panguvision.models.layers.pangu import MoGEFeedForward, PanguSwiGLU, count_parameters
    dim, hidden, n, m, k = (64, 32, 8, 4, 4) if args.quick else (512, 256, 16, 4, 4)
    tokens = 64 if args.quick else 4096
    torch.manual_seed(0)
    moge = MoGEFeedForward(dim, hidden, num_experts=n, num_groups=m, top_k=k, num_shared_experts=1).to(args.device)
    dense = PanguSwiGLU(dim, hidden * (k + 1)).to(args.device)
    x = torch.randn(1, tokens, dim, device=args.device)
    per_expert = 3 * dim * hidden
    with torch.no_grad():
        t_moge = timed(lambda: moge(x), args.repeat, args.device)
        t_dense = timed(lambda: dense(x), args.repeat, args.device)
    moge.train()
    t_moge_train = timed(lambda: (moge(x).square().mean() + moge.aux_loss).backward(), args.repeat, args.device)
    t_dense_train = timed(lambda: dense(x).square().mean().backward(), args.repeat, args.device)
    counts = moge.last_group_counts
    return dict(
        dim=dim, expert_hidden=hidden, num_experts=n, num_groups=m, top_k=k, tokens=tokens,
        moge_params=count_parameters(moge), moge_active_params=(k + 1) * per_expert + dim * n,
        dense_params=count_parameters(dense),
        moge_ms_per_1k_tokens=t_moge * 1000 / tokens, dense_ms_per_1k_tokens=t_dense * 1000 / tokens,
        moge_train_ms_per_1k_tokens=t_moge_train * 1000 / tokens,
        dense_train_ms_per_1k_tokens=t_dense_train * 1000 / tokens,
        group_calls_per_token_min=int(counts.min()), group_calls_per_token_max=int(counts.max()),
        expert_tokens_min=int(moge.last_expert_counts.min()), expert_tokens_max=int(moge.last_expert_counts.max()))


def bench_dssn(args) -> dict:
    from panguvision.models.layers.pangu import PanguReferenceLM
    dim = 32 if args.quick else 128
    depths = (4, 16) if args.quick else (16, 64)
    ids = torch.randint(0, 256, (2, 64), generator=torch.Generator().manual_seed(1))
    result = {}
    for layers in depths:
        for name, sandwich, init in (('dssn_tinyinit', True, 'tiny'), ('prenorm_torch_init', False, 'torch'),
                                     ('prenorm_normal_0.02', False, 'normal')):
            torch.manual_seed(0)
            lm = PanguReferenceLM(vocab_size=256, dim=dim, num_layers=layers, num_heads=4, sandwich_norm=sandwich,
                                  tiny_init=init == 'tiny')
            if init == 'torch':
                for mod in lm.modules():
                    if isinstance(mod, nn.Linear):
                        mod.reset_parameters()
            rms = lm.residual_rms(ids).tolist()
            shown = sorted({0, 1, layers // 4, layers // 2, layers})
            result[f'{name}_L{layers}'] = {f'after_block_{i}': rms[i] for i in shown}
    return result


def bench_esa(args) -> dict:
    from panguvision.models.layers.pangu import ESAttentionCore, SDPAttentionCore
    heads, head_dim = (2, 16) if args.quick else (8, 64)
    seq_lens = [256, 512] if args.quick else args.seq_lens
    top_k, local = (32, 32) if args.quick else (args.esa_top_k, 128)
    esa = ESAttentionCore(top_k=top_k, num_initial=4, num_local=local, chunk_size=local, compress_dim=32)
    sdpa = SDPAttentionCore()
    out = {}
    for n in seq_lens:
        g = torch.Generator().manual_seed(n)
        q, k, v = (torch.randn(1, heads, n, head_dim, generator=g).to(args.device) for _ in range(3))
        row = dict(seq_len=n, top_k=esa.top_k, num_local=esa.num_local, num_initial=esa.num_initial)
        with torch.no_grad():
            row['full_prefill_ms'] = timed(lambda: sdpa(q, k, v), args.repeat, args.device)
            row['esa_prefill_ms'] = timed(lambda: esa(q, k, v), args.repeat, args.device)
            row['esa_prefill_attended_pairs'] = esa.last_stats['attended_keys']
            row['full_prefill_attended_pairs'] = esa.last_stats['full_keys']
            err = (esa(q, k, v) - sdpa(q, k, v)).norm() / sdpa(q, k, v).norm()
            row['esa_prefill_rel_error_random_qkv'] = float(err)
            ql = q[:, :, -1:]
            decode_repeat = 5 * args.repeat  # single steps are short: more repeats against scheduling noise
            row['full_decode_ms'] = timed(lambda: sdpa(ql, k, v), decode_repeat, args.device)
            row['esa_decode_ms'] = timed(lambda: esa(ql, k, v), decode_repeat, args.device)
            row['esa_decode_attended_keys'] = esa.last_stats['attended_keys']
            # Incremental mode keeps the compressed keys of the earlier positions (one KV-cache decoding step).
            esa_inc = copy.deepcopy(esa)
            esa_inc.incremental = True
            esa_inc(q[:, :, -2:-1], k[:, :, :-1], v[:, :, :-1])
            row['esa_incremental_decode_ms'] = timed(lambda: esa_inc(ql, k, v), decode_repeat, args.device)
            # A few important tokens in the middle: queries aligned with 8 keys far from the end.
            kk = k * 0.3
            direction = F.normalize(torch.randn(heads, head_dim, generator=g), dim=-1).to(args.device)
            pos = torch.linspace(n // 8, n // 2, 8).long()
            kk[0, :, pos] = direction[:, None] * 24.0  # logit 4 * 24 / sqrt(64) = 12 for an aligned query
            qq = direction[None, :, None] * 4.0 + 0.3 * torch.randn(
                1, heads, 128, head_dim, generator=g).to(args.device)
            full = sdpa(qq, kk, v)
            row['esa_rel_error_few_important_tokens'] = float((esa(qq, kk, v) - full).norm() / full.norm())
        out[str(n)] = row
    return out


def stdlib_text(limit: int) -> bytes:
    """About ``limit`` bytes of Python standard-library source (sorted file names, so it is reproducible)."""
    root = osp.dirname(os.__file__)
    chunks, total = [], 0
    for name in sorted(os.listdir(root)):
        if name.endswith('.py'):
            with open(osp.join(root, name), 'rb') as f:
                data = f.read()
            chunks.append(data)
            total += len(data)
            if total >= limit:
                break
    return b'\n'.join(chunks)[:limit]


def bench_pruning(args) -> dict:
    from panguvision.models.layers.pangu import (PanguReferenceLM, collect_importance, count_parameters,
                                                 prune_ffn_neurons_, prune_heads_, prune_layers_, prune_width_)
    torch.manual_seed(0)
    text = torch.tensor(list(stdlib_text(300_000 if not args.quick else 20_000)), dtype=torch.long)
    split = int(len(text) * 0.9)
    train, val = text[:split], text[split:]
    seq, batch = (64, 8) if args.quick else (128, 8)
    cfg = dict(vocab_size=256, dim=64, num_layers=2, num_heads=4) if args.quick else dict(
        vocab_size=256, dim=128, num_layers=6, num_heads=4, num_kv_heads=2, ffn_hidden_dim=384)
    lm = PanguReferenceLM(**cfg).to(args.device)
    opt = torch.optim.AdamW(lm.parameters(), lr=3e-3, weight_decay=0.01)
    steps = 5 if args.quick else args.train_steps
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    gen = torch.Generator().manual_seed(0)

    def windows(data, n, g):
        starts = torch.randint(0, len(data) - seq - 1, (n, ), generator=g)
        return torch.stack([data[s:s + seq + 1] for s in starts.tolist()]).to(args.device)

    t0 = time.perf_counter()
    for step in range(steps):
        loss = lm.loss(windows(train, batch, gen))['loss_lm']
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 50 == 0:
            print(f'pruning: train step {step + 1}/{steps}, loss {float(loss.detach()):.3f} nats/byte, '
                  f'{time.perf_counter() - t0:.0f} s', flush=True)
    train_s = time.perf_counter() - t0
    lm.eval()
    val_batches = [windows(val, batch, torch.Generator().manual_seed(100 + i)) for i in range(4)]
    calib = [windows(train, batch, torch.Generator().manual_seed(200 + i)) for i in range(2)]

    @torch.no_grad()
    def val_loss(model):
        return statistics.mean(float(model.loss(b)['loss_lm']) for b in val_batches)

    with torch.no_grad():
        ref_logits = [lm(b) for b in val_batches]

    @torch.no_grad()
    def logit_change(model):
        """||logits - logits of the unpruned model|| / ||logits of the unpruned model|| on the held-out batches."""
        diff = sum(float((model(b) - r).square().sum()) for b, r in zip(val_batches, ref_logits))
        return math.sqrt(diff / sum(float(r.square().sum()) for r in ref_logits))

    base_params = count_parameters(lm)
    imp = collect_importance(lm, calib)
    result = dict(config=cfg, train_steps=steps, train_seconds=train_s, params=base_params, val_loss=val_loss(lm),
                  final_train_loss=float(loss.detach()))
    heads, layers, dim = cfg['num_heads'], cfg['num_layers'], cfg['dim']
    kv = cfg.get('num_kv_heads') or heads
    variants = {
        f'heads {heads}->{heads // 2} (importance)': lambda m: prune_heads_(m, imp, heads // 2),
        f'heads {heads}->{heads // 2} (random, mean of 3)': None,
        'ffn neurons 50 %': lambda m: prune_ffn_neurons_(m, imp, 0.5),
        f'width {dim}->{dim * 3 // 4} (SLNP)': lambda m: prune_width_(m, imp, dim * 3 // 4, slnp=True),
        f'width {dim}->{dim * 3 // 4} (no SLNP)': lambda m: prune_width_(m, imp, dim * 3 // 4, slnp=False),
        f'depth {layers}->{layers - 1} (CLAP)': lambda m: prune_layers_(m, imp, layers - 1, clap=True),
        f'depth {layers}->{layers - 1} (no CLAP)': lambda m: prune_layers_(m, imp, layers - 1, clap=False),
    }
    rows = {}
    for name, fn in variants.items():
        if fn is None:  # random heads, same count, averaged over three draws
            losses, changes = [], []
            for seed in range(3):
                g = torch.Generator().manual_seed(seed)
                pruned = copy.deepcopy(lm)
                prune_heads_(pruned, dict(imp, heads=[torch.rand(heads, generator=g) for _ in range(layers)]),
                             heads // 2)
                losses.append(val_loss(pruned))
                changes.append(logit_change(pruned))
            rows[name] = dict(params=count_parameters(pruned), val_loss=statistics.mean(losses),
                              logit_rel_change=statistics.mean(changes))
            continue
        pruned = copy.deepcopy(lm)
        fn(pruned)
        rows[name] = dict(params=count_parameters(pruned), val_loss=val_loss(pruned),
                          logit_rel_change=logit_change(pruned))
    result['kv_heads'] = kv
    result['pruned'] = rows
    return result


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sections', nargs='+', default=['moge', 'dssn', 'esa', 'pruning'],
                        choices=['moge', 'dssn', 'esa', 'pruning'])
    parser.add_argument('--threads', type=int, default=1, help='torch intra-op CPU threads')
    parser.add_argument('--seq-lens', type=int, nargs='+', default=[1024, 4096, 8192])
    parser.add_argument('--esa-top-k', type=int, default=256)
    parser.add_argument('--train-steps', type=int, default=250)
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--device', default='cpu', help="'cpu', 'cuda', ... or 'auto'")
    parser.add_argument('--quick', action='store_true', help='tiny sizes (a smoke test of the script)')
    parser.add_argument('--out', default=None, help='write the results as JSON here')
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.device == 'auto':
        from panguvision.apis import resolve_device
        args.device = resolve_device('auto')
    result = dict(device=args.device, threads=torch.get_num_threads(), torch=torch.__version__)
    benches = dict(moge=bench_moge, dssn=bench_dssn, esa=bench_esa, pruning=bench_pruning)
    for section in args.sections:
        t0 = time.perf_counter()
        result[section] = benches[section](args)
        print(f'## {section} ({time.perf_counter() - t0:.1f} s)\n{json.dumps(result[section], indent=1)}',
              flush=True)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
