"""tools/dataset_converters/sam_automask_to_coco.py with a tiny random SAM (no weights needed)."""
import json

import cv2
import numpy as np
import pytest

TOOL = 'tools/dataset_converters/sam_automask_to_coco.py'


@pytest.mark.slow
def test_tiny_sam_masks_become_consistent_coco_annotations(tmp_path, run_tool):
    from pycocotools import mask as mask_utils
    rng = np.random.default_rng(0)
    (tmp_path / 'imgs' / 'sub').mkdir(parents=True)
    for name in ('a.jpg', 'sub/b.png'):
        img = np.full((48, 64, 3), 100, np.uint8)
        img[10:30, 5:25] = rng.integers(0, 255, (20, 20, 3))
        cv2.imwrite(str(tmp_path / 'imgs' / name), img)
    (tmp_path / 'imgs' / 'notes.txt').write_text('not an image')
    out = tmp_path / 'masks.json'
    run_tool(TOOL, tmp_path / 'imgs', out, '--model-type', 'tiny', '--points-per-side', 4, '--pred-iou-thresh', 0,
             '--stability-score-thresh', 0, '--min-mask-area', 1, '--device', 'cpu')
    coco = json.loads(out.read_text())
    assert [i['file_name'] for i in coco['images']] == ['a.jpg', 'sub/b.png']
    assert all((i['height'], i['width']) == (48, 64) for i in coco['images'])
    assert coco['categories'] == [{'id': 1, 'name': 'object'}]
    assert coco['annotations'], 'the tiny SAM with all thresholds at 0 must keep some masks'
    assert len({a['id'] for a in coco['annotations']}) == len(coco['annotations'])
    for ann in coco['annotations']:
        mask = mask_utils.decode(ann['segmentation'])
        assert mask.shape == (48, 64) and mask.sum() == ann['area'] >= 1
        ys, xs = np.nonzero(mask)
        x, y, w, h = ann['bbox']
        assert (x, y) == (xs.min(), ys.min()) and (x + w, y + h) == (xs.max(), ys.max())  # SAM's inclusive xywh
        assert 0 <= ann['stability_score'] <= 1 and isinstance(ann['predicted_iou'], float)
    per_image = [[a['predicted_iou'] for a in coco['annotations'] if a['image_id'] == i] for i in (1, 2)]
    assert all(scores == sorted(scores, reverse=True) for scores in per_image)


@pytest.mark.parametrize('args, message', [
    (['--model-type', 'vit_b'], 'needs --sam-checkpoint'),
    (['--model-type', 'vit_b', '--sam-checkpoint', 'missing.pth'], 'SAM checkpoint not found: missing.pth'),
    (['--model-type', 'vit_q'], "invalid choice: 'vit_q'"),
])
def test_bad_arguments_fail_clearly(args, message, tmp_path, run_tool):
    (tmp_path / 'imgs').mkdir()
    cv2.imwrite(str(tmp_path / 'imgs' / 'a.png'), np.zeros((16, 16, 3), np.uint8))
    proc = run_tool(TOOL, tmp_path / 'imgs', tmp_path / 'o.json', *args, check=False)
    assert proc.returncode != 0 and message in proc.stderr


@pytest.mark.slow
def test_empty_folder_fails_clearly(tmp_path, run_tool):
    (tmp_path / 'imgs').mkdir()
    proc = run_tool(TOOL, tmp_path / 'imgs', tmp_path / 'o.json', '--model-type', 'tiny', check=False)
    assert proc.returncode != 0 and 'no images' in proc.stderr
