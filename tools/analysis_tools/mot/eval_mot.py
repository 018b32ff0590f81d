"""Evaluate MOTChallenge tracker results with TrackEval's HOTA, CLEAR MOT and Identity metrics.

``python tools/analysis_tools/mot/eval_mot.py --gt-root DIR --res-root DIR [--out FILE.json] [--seqs S1 S2 ...]``

Ground truth: ``<gt-root>/<seq>/gt/gt.txt`` (+ ``seqinfo.ini`` when present); results: ``<res-root>/<seq>.txt`` in
``frame,id,x,y,w,h,conf,-1,-1,-1`` rows. Prints one row per sequence and a COMBINED row (percent, counts); ``--out``
writes ``{"<seq>": {"HOTA": .., "MOTA": .., "IDF1": .., ...}, "COMBINED": {...}}`` with fractions (not percent) and
integer counts (see ``panguvision.evaluation.functional.evaluate_mot``). A malformed row exits with status 1 and
``<file>:<line>: ...`` on stderr.
"""
import argparse
import json
import sys

from panguvision.evaluation.functional.mot_eval import COUNT_KEYS, FRACTION_KEYS, evaluate_mot
from panguvision.utils.checkpoint import atomic_write_bytes

TABLE_FRACTIONS = ('HOTA', 'DetA', 'AssA', 'MOTA', 'MOTP', 'IDF1', 'IDP', 'IDR')
TABLE_COUNTS = ('IDSW', 'FP', 'FN', 'Frag', 'MT', 'ML')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Evaluate MOTChallenge tracker results (HOTA, CLEAR, Identity)')
    parser.add_argument('--gt-root', required=True, help='folder with <seq>/gt/gt.txt (and optional seqinfo.ini)')
    parser.add_argument('--res-root', required=True, help='folder with <seq>.txt tracker results')
    parser.add_argument('--out', default=None, help='write the metrics as JSON (fractions in [0, 1], counts)')
    parser.add_argument('--seqs', nargs='+', default=None, help='sequences to evaluate (default: all in --gt-root)')
    parser.add_argument(
        '--benchmark',
        default='MOT17',
        choices=['MOT15', 'MOT16', 'MOT17', 'MOT20'],
        help='distractor classes of this benchmark (MOT17 also suits DanceTrack and MOT15-style gt)')
    parser.add_argument(
        '--no-preproc',
        action='store_true',
        help='no distractor handling: gt of every class counts (conf==0 gt is still ignored)')
    return parser.parse_args(argv)


def format_table(results: dict) -> str:
    """Fixed-width table: fractions as percent with one decimal, counts as integers."""
    names = list(results)
    width = max(len('sequence'), *(len(n) for n in names))
    header = f'{"sequence":<{width}} ' + ' '.join(f'{k:>7}' for k in TABLE_FRACTIONS + TABLE_COUNTS)
    lines = [header, '-' * len(header)]
    for name in names:
        row = results[name]
        cells = [f'{100 * row[k]:7.1f}' for k in TABLE_FRACTIONS] + [f'{row[k]:7d}' for k in TABLE_COUNTS]
        lines.append(f'{name:<{width}} ' + ' '.join(cells))
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    try:
        results = evaluate_mot(
            args.gt_root, args.res_root, seqs=args.seqs, benchmark=args.benchmark,
            remove_distractors=not args.no_preproc)
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(format_table(results))
    print('(scores in percent; --out writes them as fractions, with all of ' + ', '.join(FRACTION_KEYS + COUNT_KEYS)
          + ')')
    if args.out is not None:
        atomic_write_bytes((json.dumps(results, indent=2) + '\n').encode('utf-8'), args.out)
        print(f'saved {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
