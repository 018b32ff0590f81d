"""Compare WalkerTracker settings on one set of sequences with one network pass (for choosing settings on the
validation sequences; the final numbers come from ``walker_learning_check.py``).

Runs the Walker model of ``CONFIG`` (random weights, or ``--checkpoint``) once over the test dataloader (the
``--cfg-options`` point it at the sequences), keeps every frame's detections and embeddings, then replays
``WalkerTracker`` with each ``--setting`` (``'k=v,k=v'`` overrides of the config's tracker; ``''``: the config's
own) and evaluates each with TrackEval against ``--gt-root``. Prints one line per setting and writes JSON.

``python tools/misc/walker_tracker_sweep.py CONFIG --gt-root DIR [--checkpoint CKPT] --setting '' 'iou_match_thr=0.3'
--out sweep.json --cfg-options ...``
"""
import argparse
import ast
import json
import os.path as osp
import tempfile

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

KEYS = ('HOTA', 'AssA', 'DetA', 'IDF1', 'MOTA', 'IDSW', 'FP', 'FN')


def parse_setting(text: str) -> dict:
    out = {}
    for item in filter(None, text.split(',')):
        key, value = item.split('=', 1)
        try:
            out[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            out[key.strip()] = value.strip()
    return out


def collect(cfg: Config, checkpoint) -> dict:
    """``{sequence: [(frame_id, InstanceData with bboxes (original pixels), scores, labels, embeds)]}``."""
    runner = Runner.from_cfg(cfg)
    model = runner.model
    if checkpoint:
        runner.load_checkpoint(checkpoint, map_location='cpu')
    model.eval()
    videos = {}
    with torch.no_grad():
        for batch in runner.test_dataloader:
            for track_sample in model.test_step(batch):
                for t in range(len(track_sample)):
                    s = track_sample[t]
                    seq = osp.basename(osp.dirname(osp.dirname(s.metainfo['img_path'])))
                    videos.setdefault(seq, []).append((int(s.metainfo['frame_id']), s.pred_instances.cpu()))
    return videos


def replay(videos: dict, tracker_cfg: dict, out_dir: str) -> None:
    from panguvision.evaluation.functional.mot_io import write_mot_txt
    from panguvision.registry import MODELS
    for seq, frames in videos.items():
        tracker, rows = MODELS.build(tracker_cfg), []
        for frame_id, dets in sorted(frames, key=lambda f: f[0]):
            sample = DetDataSample(metainfo=dict(frame_id=frame_id))
            sample.pred_instances = dets
            out = tracker.track(sample)
            for box, score, tid in zip(out.bboxes.tolist(), out.scores.tolist(), out.instances_id.tolist()):
                rows.append([frame_id + 1, tid, box[0], box[1], box[2] - box[0], box[3] - box[1],
                             round(score, 4), -1, -1, -1])
        write_mot_txt(osp.join(out_dir, f'{seq}.txt'), np.asarray(rows, np.float64).reshape(-1, 10))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--gt-root', required=True, help='folder of <seq>/gt/gt.txt')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument('--setting', nargs='+', default=[''], help="'k=v,k=v' tracker overrides, one per setting")
    parser.add_argument('--out', default=None, help='JSON of the results')
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    from panguvision.evaluation.functional.mot_eval import evaluate_mot
    from panguvision.utils import install_checkpoint_policy
    install_checkpoint_policy()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or tempfile.mkdtemp(prefix='walker_sweep_')
    cfg.load_from = None
    videos = collect(cfg, args.checkpoint)
    results = {}
    for text in args.setting:
        tracker_cfg = {**cfg.model.tracker, **parse_setting(text)}
        with tempfile.TemporaryDirectory() as res:
            replay(videos, tracker_cfg, res)
            m = evaluate_mot(args.gt_root, res)['COMBINED']
        results[text or '(config)'] = {k: m[k] for k in KEYS}
        print(f'{text or "(config)":<60}' + ' '.join(
            f'{k} {m[k] * 100:.1f}' if isinstance(m[k], float) else f'{k} {m[k]}' for k in KEYS), flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(checkpoint=args.checkpoint, results=results), f, indent=2)


if __name__ == '__main__':
    main()
