"""Synthetic MOT generator: sprites match gt, determinism, mot2coco conversion, gt-as-result scores IDF1 = 1."""
import json

import numpy as np
import pytest

from panguvision.datasets.synthetic_mot import make_synthetic_mot, render_sequence
from panguvision.evaluation.functional.mot_io import read_mot_txt, read_seqinfo, write_mot_txt


def test_gt_boxes_match_rendered_sprites():
    frames, gt, dets = render_sequence(np.random.default_rng(3), 12, (120, 160), 5)
    assert len(frames) == 12 and frames[0].shape == (120, 160, 3) and frames[0].dtype == np.uint8
    assert gt.shape[1] == 9 and dets.shape[1] == 7 and len(dets) > 0
    checked = 0
    for row in gt:
        t, oid, x, y, w, h, _, _, vis = row
        x, y, w, h = int(x), int(y), int(w), int(h)
        others = gt[(gt[:, 0] == t) & (gt[:, 1] != oid)]
        # every other sprite of the frame stays two pixels away from this one's outline ring
        near = [(ox - 2 < x + w and x - 2 < ox + ow and oy - 2 < y + h and y - 2 < oy + oh)
                for ox, oy, ow, oh in others[:, 2:6]]
        if vis < 1 or any(near) or x < 1 or y < 1 or x + w >= 159 or y + h >= 119:
            continue
        img = frames[int(t) - 1].astype(np.float32).mean(-1)
        outline = np.concatenate([img[y, x:x + w], img[y + h - 1, x:x + w], img[y:y + h, x], img[y:y + h, x + w - 1]])
        outside = np.concatenate([img[y - 1, x:x + w], img[y + h, x:x + w], img[y:y + h, x - 1], img[y:y + h, x + w]])
        assert outline.mean() < 40, (row, outline.mean())  # the dark sprite outline lies exactly on the gt box
        assert outside.mean() > 45, (row, outside.mean())  # one pixel further out is background
        checked += 1
    assert checked >= 10
    assert ((gt[:, 8] >= 0) & (gt[:, 8] <= 1)).all() and (gt[:, 8] < 1).any()  # some occlusion happens


def test_deterministic_by_seed_and_layout(tmp_path):
    a = make_synthetic_mot(str(tmp_path / 'a'), num_sequences=2, num_frames=5, image_size=(96, 128), seed=7)
    b = make_synthetic_mot(str(tmp_path / 'b'), num_sequences=2, num_frames=5, image_size=(96, 128), seed=7)
    c = make_synthetic_mot(str(tmp_path / 'c'), num_sequences=2, num_frames=5, image_size=(96, 128), seed=8)
    assert [p.split('/')[-1] for p in a] == ['SYN-01', 'SYN-02']
    for pa, pb, pc in zip(a, b, c):
        for rel in ('gt/gt.txt', 'det/det.txt', 'img1/000003.jpg', 'seqinfo.ini'):
            with open(f'{pa}/{rel}', 'rb') as fa, open(f'{pb}/{rel}', 'rb') as fb:
                assert fa.read() == fb.read(), rel
        with open(f'{pa}/gt/gt.txt') as fa, open(f'{pc}/gt/gt.txt') as fc:
            assert fa.read() != fc.read()
        info = read_seqinfo(f'{pa}/seqinfo.ini')
        assert (info['seqLength'], info['imHeight'], info['imWidth'], info['imDir']) == (5, 96, 128, 'img1')
        gt = read_mot_txt(f'{pa}/gt/gt.txt', 'gt', max_frame=5)
        det = read_mot_txt(f'{pa}/det/det.txt', 'det', max_frame=5)
        assert len(gt) and ((det[:, 6] > 0) & (det[:, 6] <= 1)).all()
    with pytest.raises(ValueError, match='num_frames'):
        make_synthetic_mot(str(tmp_path / 'd'), num_frames=1)


def test_cli_mot2coco_and_gt_scores_perfectly(tmp_path, run_tool):
    root = tmp_path / 'syn'
    run_tool('tools/dataset_converters/make_synthetic_mot.py', root, '--num-seqs', 2, '--frames', 8, '--size', 96,
             128, '--seed', 1)
    run_tool('tools/dataset_converters/mot2coco.py', '-i', root, '-o', root / 'annotations', '--convert-det')
    coco = json.loads((root / 'annotations' / 'train_cocoformat.json').read_text())
    dets = json.loads((root / 'annotations' / 'train_detections.json').read_text())
    assert len(coco['videos']) == 2 and len(coco['images']) == 16 and len(dets) == 16
    num_gt = sum(len(read_mot_txt(root / 'train' / s / 'gt' / 'gt.txt')) for s in ('SYN-01', 'SYN-02'))
    num_det = sum(len(read_mot_txt(root / 'train' / s / 'det' / 'det.txt', 'det')) for s in ('SYN-01', 'SYN-02'))
    assert len(coco['annotations']) == num_gt and sum(map(len, dets.values())) == num_det
    ann = coco['annotations'][0]
    assert ann['iscrowd'] == 0 and ann['instance_id'] >= 1

    res = tmp_path / 'res'
    for seq in ('SYN-01', 'SYN-02'):
        gt = read_mot_txt(root / 'train' / seq / 'gt' / 'gt.txt')
        write_mot_txt(res / f'{seq}.txt', [[*r[:6], 1, -1, -1, -1] for r in gt])
    out = tmp_path / 'm.json'
    run_tool('tools/analysis_tools/mot/eval_mot.py', '--gt-root', root / 'train', '--res-root', res, '--out', out)
    metrics = json.loads(out.read_text())['COMBINED']
    assert metrics['IDF1'] == pytest.approx(1.0) and metrics['HOTA'] == pytest.approx(1.0, abs=1e-6)
    assert metrics['IDSW'] == 0 and metrics['FN'] == 0
