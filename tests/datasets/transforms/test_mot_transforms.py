"""MOT transforms: public detections as proposals, sparse T-frame clip sampling, packing."""
import json
import random

import numpy as np
import pytest

from panguvision.datasets.transforms.mot_transforms import (LoadPublicDetections, PackMOTInputs, SparseClipSample,
                                                            annotated_frames)


def test_annotated_frames():
    assert annotated_frames(60, 0.1) == list(range(0, 60, 10))
    assert annotated_frames(5, 1.0) == [0, 1, 2, 3, 4]
    assert annotated_frames(3, 0.01) == [0]
    with pytest.raises(ValueError, match='ann_ratio'):
        annotated_frames(10, 0.0)


def _video(n=60):
    return dict(video_id=3, video_length=n,
                images=[dict(img_path=f'v/img1/{i + 1:06d}.jpg', frame_id=i, instances=[]) for i in range(n)])


def test_sparse_clip_sample_takes_t_annotated_frames_in_order():
    random.seed(0)
    sampler = SparseClipSample(num_frames=4, ann_ratio=0.1, max_stride=2)
    ann = set(annotated_frames(60, 0.1))
    for key in (None, 0, 27, 59):
        video = _video()
        if key is not None:
            video['key_frame_id'] = key
        out = sampler.transform(video)
        frames = out['frame_id']
        assert len(frames) == 4 and frames == sorted(frames) and len(set(frames)) == 4
        assert set(frames) <= ann
        steps = {b - a for a, b in zip(frames, frames[1:])}
        assert len(steps) == 1 and steps <= {10, 20}  # one stride per clip, 1 or 2 annotated frames
        assert out['key_frame_flags'] == [True] * 4 and out['video_id'] == [3] * 4 and out['video_length'] == [4] * 4
    out = sampler.transform(dict(_video(12), key_frame_id=11))  # only two annotated frames: repeats the last
    assert out['frame_id'] == [0, 10, 10, 10]
    with pytest.raises(ValueError, match='num_frames'):
        SparseClipSample(num_frames=1)


def test_load_public_detections_scales_and_flips(tmp_path):
    det_file = tmp_path / 'train_detections.json'
    det_file.write_text(json.dumps({'SYN-01/img1/000001.jpg': [[10, 20, 30, 60, 0.9], [0, 0, 5, 5, 0.1]],
                                    'SYN-01/img1/000002.jpg': []}))
    load = LoadPublicDetections(str(det_file), score_thr=0.2)
    res = load.transform(dict(img_path='/data/train/SYN-01/img1/000001.jpg', scale_factor=(2.0, 0.5),
                              img_shape=(50, 200)))
    np.testing.assert_allclose(res['proposals'], [[20, 10, 60, 30]])
    np.testing.assert_allclose(res['proposals_scores'], [0.9])
    assert res['proposals'].dtype == np.float32
    flipped = load.transform(dict(img_path='/d/SYN-01/img1/000001.jpg', img_shape=(100, 100), flip=True,
                                  flip_direction='horizontal'))
    np.testing.assert_allclose(flipped['proposals'], [[70, 20, 90, 60]])
    empty = load.transform(dict(img_path='/d/SYN-01/img1/000002.jpg'))
    assert empty['proposals'].shape == (0, 4)
    with pytest.raises(KeyError, match='000003.jpg'):
        load.transform(dict(img_path='/d/SYN-01/img1/000003.jpg'))
    with pytest.raises(FileNotFoundError, match='missing.json'):
        LoadPublicDetections(str(tmp_path / 'missing.json')).transform(dict(img_path='a/b/c.jpg'))


def test_pack_mot_inputs_adds_proposals():
    results = dict(img=[np.zeros((8, 8, 3), np.uint8)] * 2, img_id=[1, 2], frame_id=[0, 1],
                   gt_bboxes=[np.zeros((0, 4), np.float32)] * 2, gt_bboxes_labels=[np.zeros(0, np.int64)] * 2,
                   gt_ignore_flags=[np.zeros(0, bool)] * 2,
                   proposals=[np.array([[1, 2, 3, 4]], np.float32), np.zeros((0, 4), np.float32)],
                   proposals_scores=[np.array([0.5], np.float32), np.zeros(0, np.float32)])
    packed = PackMOTInputs().transform(results)
    assert tuple(packed['inputs'].shape) == (2, 3, 8, 8)
    first, second = packed['data_samples'][0], packed['data_samples'][1]
    assert first.proposals.bboxes.tolist() == [[1, 2, 3, 4]] and first.proposals.scores.tolist() == [0.5]
    assert len(second.proposals) == 0 and first.frame_id == 0
