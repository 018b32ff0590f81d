"""tools/dataset_converters/mot2coco.py on a tiny synthetic MOT17-style folder, read back by mmdet's dataset."""
import json

import cv2
import numpy as np
import pytest

W, H, N = 64, 48, 5  # image size (pixels) and frames per sequence
SEQINFO = ('[Sequence]\nname={name}\nimDir=img1\nframeRate=30\nseqLength={n}\nimWidth={w}\nimHeight={h}\n'
           'imExt=.jpg\n')


def make_sequence(root, name, with_gt=True):
    seq = root / name
    (seq / 'img1').mkdir(parents=True)
    for frame in range(1, N + 1):
        cv2.imwrite(str(seq / 'img1' / f'{frame:06d}.jpg'), np.full((H, W, 3), 20 * frame, np.uint8))
    (seq / 'seqinfo.ini').write_text(SEQINFO.format(name=name, n=N, w=W, h=H))
    gt, det = [], []
    for frame in range(1, N + 1):
        gt.append(f'{frame},1,{2 + frame},4,10,20,1,1,1.0')      # pedestrian 1
        gt.append(f'{frame},2,30,10,12,24,1,1,0.5')              # pedestrian 2
        gt.append(f'{frame},3,40,20,8,16,0,8,1.0')                # distractor -> iscrowd
        gt.append(f'{frame},4,5,30,20,10,0,3,1.0')                # car -> dropped
        det.append(f'{frame},-1,{2 + frame},4,10,20,0.9')
    gt.append('2,5,50,5,6,12,0,1,0.1')                             # pedestrian with conf 0 -> iscrowd
    if with_gt:
        (seq / 'gt').mkdir()
        (seq / 'gt' / 'gt.txt').write_text('\n'.join(gt) + '\n')
    (seq / 'det').mkdir()
    (seq / 'det' / 'det.txt').write_text('\n'.join(det) + '\n')


@pytest.fixture
def mot_root(tmp_path):
    root = tmp_path / 'MOT17'
    for name in ('MOT17-02-FRCNN', 'MOT17-02-SDP', 'MOT17-04-FRCNN'):
        make_sequence(root / 'train', name)
    make_sequence(root / 'test', 'MOT17-01-FRCNN', with_gt=False)
    return root


def test_mot2coco_loads_in_mmdet(mot_root, tmp_path, run_tool):
    out = tmp_path / 'annotations'
    run_tool('tools/dataset_converters/mot2coco.py', '-i', mot_root, '-o', out, '--split-train', '--convert-det',
             '--dedup')
    train = json.loads((out / 'train_cocoformat.json').read_text())
    assert [v['name'] for v in train['videos']] == ['MOT17-02-FRCNN', 'MOT17-04-FRCNN']  # SDP copy deduplicated
    assert train['categories'] == [{'id': 1, 'name': 'pedestrian'}]
    assert [im['frame_id'] for im in train['images'][:N]] == list(range(N))
    assert train['images'][0]['file_name'] == 'MOT17-02-FRCNN/img1/000001.jpg'
    anns = train['annotations']
    assert len(anns) == 2 * (3 * N + 1)  # the car is dropped
    assert {a['mot_class_id'] for a in anns if a['iscrowd']} == {8, 1}
    assert train['num_instances'] == 2 * 4
    assert json.loads((out / 'test_cocoformat.json').read_text())['annotations'] == []
    assert len(json.loads((out / 'test_cocoformat.json').read_text())['videos']) == 1

    half_train = json.loads((out / 'half-train_cocoformat.json').read_text())
    half_val = json.loads((out / 'half-val_cocoformat.json').read_text())
    assert [im['mot_frame_id'] for im in half_train['images'][:N // 2 + 1]] == [1, 2, 3]
    assert [im['mot_frame_id'] for im in half_val['images'][:2]] == [4, 5]
    assert [im['frame_id'] for im in half_val['images'][:2]] == [0, 1]
    assert (out / 'half-val_gt' / 'MOT17-02-FRCNN' / 'gt' / 'gt.txt').read_text().startswith('4,1,')

    dets = json.loads((out / 'train_detections.json').read_text())
    assert dets['MOT17-02-FRCNN/img1/000001.jpg'] == [[3.0, 4.0, 13.0, 24.0, 0.9]]

    from mmdet.datasets import MOTChallengeDataset
    dataset = MOTChallengeDataset(
        ann_file=str(out / 'train_cocoformat.json'), data_prefix=dict(img_path=str(mot_root / 'train')),
        metainfo=dict(classes=('pedestrian', )), pipeline=[])
    assert len(dataset) == 2  # one item per video
    video = dataset.get_data_info(0)
    assert video['video_length'] == N
    assert [im['frame_id'] for im in video['images']] == list(range(N))
    first = video['images'][0]
    assert cv2.imread(first['img_path']).shape == (H, W, 3)
    assert [(i['instance_id'], i['ignore_flag']) for i in first['instances']] == [(1, 0), (2, 0), (3, 1)]
    assert first['instances'][0]['bbox'] == [3.0, 4.0, 13.0, 24.0]  # x1, y1, x2, y2
    ids = {i['instance_id'] for im in dataset.get_data_info(1)['images'] for i in im['instances']}
    assert ids == {5, 6, 7, 8}  # unique over the subset: video 2 continues after video 1's ids 1-4


def test_val_split_is_converted_with_its_ground_truth(tmp_path, run_tool):
    """DanceTrack layout: train/ and val/ both carry gt; one call converts both."""
    root = tmp_path / 'dancetrack'
    make_sequence(root / 'train', 'dancetrack0001')
    make_sequence(root / 'val', 'dancetrack0004')
    out = tmp_path / 'annotations'
    run_tool('tools/dataset_converters/mot2coco.py', '-i', root, '-o', out)
    val = json.loads((out / 'val_cocoformat.json').read_text())
    assert [v['name'] for v in val['videos']] == ['dancetrack0004']
    assert len(val['images']) == N and val['num_instances'] >= 2
    assert all(img['file_name'].startswith('dancetrack0004/img1/') for img in val['images'])
