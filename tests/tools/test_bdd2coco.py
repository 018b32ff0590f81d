"""tools/dataset_converters/bdd2coco.py on a tiny synthetic BDD100K box-track (scalabel) folder."""
import json


def box(x1, y1, x2, y2):
    return {'x1': x1, 'y1': y1, 'x2': x2, 'y2': y2}


def label(obj_id, category, b, **attributes):
    attrs = {'occluded': False, 'truncated': False, 'crowd': False}
    attrs.update(attributes)
    return {'id': obj_id, 'category': category, 'attributes': attrs, 'box2d': b}


def frames_of(video, num_frames):
    frames = []
    for t in range(num_frames):
        frames.append({
            'name': f'{video}-{t + 1:07d}.jpg', 'videoName': video, 'frameIndex': t,
            'labels': [
                label('1', 'car', box(10 + t, 20, 59 + t, 49), occluded=True),
                label('2', 'pedestrian', box(100, 50, 119, 99)),
                label('3', 'other vehicle', box(200, 50, 239, 79)),          # ignored car
                label('4', 'bus', box(300, 50, 399, 149), crowd=True),     # crowd -> ignored
                label('5', 'traffic light', box(5, 5, 9, 14)),             # not tracked -> dropped
            ]})
    return frames[::-1]  # out of order on purpose


def test_bdd2coco(tmp_path, run_tool):
    src = tmp_path / 'box_track' / 'val'
    src.mkdir(parents=True)
    for video in ('b1c66a42-6f7d68ca', 'b1c9c847-3bda4659'):
        (src / f'{video}.json').write_text(json.dumps(frames_of(video, 3)))
    out = tmp_path / 'bdd_val_cocofmt.json'
    run_tool('tools/dataset_converters/bdd2coco.py', '-i', src, '-o', out)
    coco = json.loads(out.read_text())

    assert [c['name'] for c in coco['categories']] == [
        'pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle']
    assert [v['name'] for v in coco['videos']] == ['b1c66a42-6f7d68ca', 'b1c9c847-3bda4659']
    first_video = [im for im in coco['images'] if im['video_id'] == 1]
    assert [im['frame_id'] for im in first_video] == [0, 1, 2]
    assert first_video[0]['file_name'] == 'b1c66a42-6f7d68ca/b1c66a42-6f7d68ca-0000001.jpg'
    assert (first_video[0]['height'], first_video[0]['width']) == (720, 1280)

    anns = [a for a in coco['annotations'] if a['image_id'] == first_video[1]['id']]
    assert len(anns) == 4  # traffic light dropped
    car, ped, other, bus = anns
    assert car['category_id'] == 3 and car['bbox'] == [11, 20, 50, 30] and car['occluded'] and not car['iscrowd']
    assert ped['category_id'] == 1 and ped['area'] == 20 * 50
    assert other['category_id'] == 3 and other['iscrowd'] == 1
    assert bus['category_id'] == 5 and bus['iscrowd'] == 1 and bus['crowd']
    assert coco['num_instances'] == 8  # 4 tracked labels x 2 videos, ids unique over the file
    ids_per_video = {v: {a['instance_id'] for a in coco['annotations'] if a['image_id'] in
                         {im['id'] for im in coco['images'] if im['video_id'] == v}} for v in (1, 2)}
    assert ids_per_video == {1: {1, 2, 3, 4}, 2: {5, 6, 7, 8}}
