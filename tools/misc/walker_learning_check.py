"""Proof that Walker learns association: trained on synthetic videos with sparse boxes and no identities, it must
beat the IoU-only baseline on held-out videos tracked from the same public detections.

1. writes synthetic training sequences (seed 0) and evaluation sequences (held-out: seed 1000; validation, for
   choosing settings: seed 2000) with ``tools/dataset_converters/make_synthetic_mot.py`` and converts them with
   ``mot2coco.py --convert-det``;
2. trains ``configs/walker/walker_r18-tiny_synthetic.py`` from scratch through ``tools/train.py`` on clips of
   annotated frames, ``--ann-ratio`` of the frames annotated (boxes only, no ids);
3. tracks the evaluation sequences through ``tools/test.py`` from their ``det/det.txt`` boxes with: the IoU baseline
   (``configs/iou_tracker/iou_tracker_synthetic.py``, never changed by the options here), Walker with its random
   initial weights (the same tracker and motion gate, untrained embeddings: what the tracker alone gives) and the
   trained Walker;
4. evaluates every result folder with TrackEval (``evaluate_mot``, as ``tools/analysis_tools/mot/eval_mot.py``),
   prints the table and writes ``<work-dir>/learning_check_<eval-set>.json``; exits 1 unless trained Walker beats
   the IoU baseline in IDF1 and HOTA.

``python tools/misc/walker_learning_check.py [--work-dir DIR] [--iters N] [--ann-ratio 0.1] [--train-seqs N]
[--eval-set heldout|val] [--test-seqs N] [--test-frames N] [--checkpoint CKPT] [--tracker-options k=v ...]``
(defaults: the configuration whose numbers ``configs/walker/README.md`` reports). Settings are chosen with
``--eval-set val``; the held-out set is for the final numbers only.
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
WALKER_CFG = 'configs/walker/walker_r18-tiny_synthetic.py'
IOU_CFG = 'configs/iou_tracker/iou_tracker_synthetic.py'
KEYS = ('HOTA', 'AssA', 'DetA', 'IDF1', 'MOTA', 'IDSW', 'Frag', 'FP', 'FN')
ROWS = dict(iou='IoU baseline', random='Walker, random init', trained='Walker, trained')
EVAL_SEEDS = dict(heldout=1000, val=2000)  # other seeds than training (0): other sprites and motions


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'walker_learning_check'))
    parser.add_argument('--iters', type=int, default=2400, help='training iterations')
    parser.add_argument('--ann-ratio', type=float, default=0.1, help='fraction of training frames with boxes')
    parser.add_argument('--train-seqs', type=int, default=64, help='synthetic training sequences')
    parser.add_argument('--frames', type=int, default=60, help='frames per training sequence')
    parser.add_argument('--eval-set', choices=sorted(EVAL_SEEDS), default='heldout',
                        help='held-out sequences (final numbers) or validation sequences (choosing settings)')
    parser.add_argument('--test-seqs', type=int, default=16, help='evaluation sequences')
    parser.add_argument('--test-frames', type=int, default=100, help='frames per evaluation sequence')
    parser.add_argument('--checkpoint', default=None,
                        help='skip training and evaluate this Walker checkpoint (e.g. of an earlier run)')
    parser.add_argument('--tag', default='', help='suffix of the result folder and json (several settings)')
    parser.add_argument('--rows', nargs='+', choices=ROWS, default=list(ROWS),
                        help='trackers to run (a pass/fail verdict needs iou and trained)')
    parser.add_argument('--tracker-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='overrides of the Walker tracker (model.tracker.KEY=VALUE), both Walker rows')
    return parser.parse_args(argv)


def beats_baseline(rows: dict) -> bool:
    """The pass rule: trained Walker above the IoU baseline in both IDF1 and HOTA (False when either is missing)."""
    trained, base = rows.get(ROWS['trained']), rows.get(ROWS['iou'])
    return bool(trained and base and trained['IDF1'] > base['IDF1'] and trained['HOTA'] > base['HOTA'])


def run(cmd):
    cmd = [sys.executable, *map(str, cmd)]
    print('+', ' '.join(cmd), flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    subprocess.run(cmd, cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL)


def make_data(root: str, num_seqs: int, frames: int, seed: int) -> None:
    if not osp.isfile(osp.join(root, 'annotations', 'train_detections.json')):
        run(['tools/dataset_converters/make_synthetic_mot.py', root, '--num-seqs', num_seqs, '--frames', frames,
             '--seed', seed])
        run(['tools/dataset_converters/mot2coco.py', '-i', root, '-o', osp.join(root, 'annotations'), '--convert-det'])


def data_options(train_root, test_root: str) -> list:
    """``--cfg-options`` pointing the synthetic dataset config at these folders (no training set: test only)."""
    det = osp.join(test_root, 'annotations', 'train_detections.json')
    opts = [f'train_dataloader.dataset.data_root={train_root}/'] if train_root else []
    return opts + [f'val_dataloader.dataset.data_root={test_root}/', f'test_dataloader.dataset.data_root={test_root}/',
                   f'val_dataloader.dataset.pipeline.0.transforms.3.det_file={det}',
                   f'test_dataloader.dataset.pipeline.0.transforms.3.det_file={det}']


def track(config: str, checkpoint, out_dir: str, test_root: str, options=()) -> str:
    """Track the evaluation sequences through tools/test.py; returns the folder of ``<seq>.txt`` results."""
    cmd = ['tools/test.py', config] + ([checkpoint] if checkpoint else [])
    cmd += ['--work-dir', out_dir, '--cfg-options', *data_options(None, test_root),
            f'test_evaluator.outfile_prefix={out_dir}/results', *options]
    run(cmd)
    return osp.join(out_dir, 'results', 'default-tracker')


def main(argv=None):
    args = parse_args(argv)
    from panguvision.evaluation.functional.mot_eval import evaluate_mot
    work = osp.abspath(args.work_dir)
    seed = EVAL_SEEDS[args.eval_set]
    train_root = osp.join(work, 'data', f'train_n{args.train_seqs}_f{args.frames}')
    test_root = osp.join(work, 'data', f'{args.eval_set}_n{args.test_seqs}_f{args.test_frames}')
    start = time.time()
    make_data(train_root, args.train_seqs, args.frames, 0)
    make_data(test_root, args.test_seqs, args.test_frames, seed)

    train_dir = osp.join(work, f'walker_train_n{args.train_seqs}_f{args.frames}_it{args.iters}')
    t0 = time.time()
    if args.checkpoint is None:
        run(['tools/train.py', WALKER_CFG, '--work-dir', train_dir, '--cfg-options',
             *data_options(train_root, test_root), f'train_cfg.max_iters={args.iters}',
             f'train_cfg.val_interval={args.iters + 1}',
             f'train_dataloader.dataset.pipeline.0.ann_ratio={args.ann_ratio}',
             f'param_scheduler.0.milestones=[{int(args.iters * 0.7)}]',
             f'default_hooks.checkpoint.interval={args.iters}'])
        checkpoint = osp.join(train_dir, f'iter_{args.iters}.pth')
    else:
        checkpoint = osp.abspath(args.checkpoint)
    train_seconds = time.time() - t0 if args.checkpoint is None else None

    rows = {}
    gt_root = osp.join(test_root, 'train')
    walker_opts = [f'model.tracker.{opt}' for opt in args.tracker_options]
    for key, config, ckpt, opts in (('iou', IOU_CFG, None, []), ('random', WALKER_CFG, None, walker_opts),
                                    ('trained', WALKER_CFG, checkpoint, walker_opts)):
        if key not in args.rows:
            continue
        name = ROWS[key]
        out_dir = osp.join(work, args.eval_set + args.tag, name.replace(', ', '_').replace(' ', '_').lower())
        res = track(config, ckpt, out_dir, test_root, opts)
        metrics = evaluate_mot(gt_root, res)['COMBINED']
        rows[name] = {k: metrics[k] for k in KEYS}

    print(f'\n{"tracker":<22}' + ''.join(f'{k:>8}' for k in KEYS))
    for name, row in rows.items():
        print(f'{name:<22}' + ''.join(f'{row[k] * 100:8.1f}' if isinstance(row[k], float) else f'{row[k]:8d}'
                                      for k in KEYS))
    passed = beats_baseline(rows)
    result = dict(
        rows=rows, passed=passed, eval_set=args.eval_set, eval_seed=seed, iters=args.iters,
        ann_ratio=args.ann_ratio, train_seqs=args.train_seqs, frames=args.frames, test_seqs=args.test_seqs,
        test_frames=args.test_frames, tracker_options=args.tracker_options,
        train_seconds=None if train_seconds is None else round(train_seconds, 1),
        total_seconds=round(time.time() - start, 1), checkpoint=checkpoint, trained_here=args.checkpoint is None,
        note='fractions in [0, 1] for HOTA/AssA/DetA/IDF1/MOTA, counts for IDSW/Frag/FP/FN; COMBINED over the '
        'evaluation sequences; every tracker gets the same det.txt boxes')
    out_json = osp.join(work, f'learning_check_{args.eval_set}{args.tag}.json')
    with open(out_json, 'w') as f:
        json.dump(result, f, indent=2)
    print(f'written {out_json}; Walker beats IoU in IDF1 and HOTA: {passed}')
    for log in glob.glob(osp.join(train_dir, '*', '*.log'))[-1:]:
        print(f'training log: {log}')
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
