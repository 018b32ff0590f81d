"""Convert BDD100K box-tracking labels (scalabel json) to the CocoVID json of mmdet's video datasets.

``python tools/dataset_converters/bdd2coco.py -i data/bdd100k/labels/box_track_20/val -o data/bdd100k/annotations/
box_track_val_cocofmt.json [--height 720 --width 1280]``

Input: a folder of per-video scalabel files (``<video>.json``, each a list of frames) or one such file. A frame is
``{"name": "<video>-0000001.jpg", "videoName": "<video>", "frameIndex": 0, "labels": [{"id": "12", "category":
"car", "attributes": {"occluded": false, "truncated": false, "crowd": false}, "box2d": {"x1":, "y1":, "x2":,
"y2":}}]}``; scalabel boxes are inclusive pixel corners, so ``w = x2 - x1 + 1`` (as scalabel's own COCO export).

Output: ``videos`` ``{id, name}``; ``images`` ``{id, video_id, file_name '<video>/<name>', height, width, frame_id
(frameIndex, 0-based)}``; ``annotations`` ``{id, image_id, category_id, instance_id (>= 1, unique over the file),
bbox [x, y, w, h], area, iscrowd, occluded, truncated, crowd, bdd_id}``; ``categories`` the 8 BDD MOT classes
(``CATEGORIES``). As in the BDD100K MOT protocol, ``other person`` / ``other vehicle`` / ``trailer`` count as
pedestrian / car / truck but are ignored, and so are boxes with the ``crowd`` attribute: they are written with
``iscrowd 1`` (mmdet's ``ignore_flag``). Other categories (traffic lights, signs, ...) and labels without a box are
dropped. Scalabel frames carry no image size: ``--height`` / ``--width`` (BDD100K: 720 x 1280) fill it.
"""
import argparse
import json
import os
import os.path as osp

from panguvision.utils.checkpoint import atomic_write_bytes

CLASSES = ('pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle')
CATEGORIES = [{'id': i + 1, 'name': name} for i, name in enumerate(CLASSES)]
CATEGORY_IDS = {name: i + 1 for i, name in enumerate(CLASSES)}
# Categories evaluated as their parent class but ignored (BDD100K box-track protocol).
IGNORED = {'other person': 'pedestrian', 'other vehicle': 'car', 'trailer': 'truck'}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert BDD100K box-track scalabel json to CocoVID json')
    parser.add_argument('-i', '--input', required=True, help='folder of per-video scalabel json files, or one file')
    parser.add_argument('-o', '--output', required=True, help='output CocoVID json file')
    parser.add_argument('--height', type=int, default=720, help='image height in pixels')
    parser.add_argument('--width', type=int, default=1280, help='image width in pixels')
    return parser.parse_args(argv)


def load_frames(path: str) -> list:
    """All frames of a scalabel file, or of every ``*.json`` in a folder (sorted by file name)."""
    files = [path] if osp.isfile(path) else sorted(
        osp.join(path, n) for n in os.listdir(path) if n.endswith('.json'))
    frames = []
    for file in files:
        with open(file, encoding='utf-8') as f:
            data = json.load(f)
        if isinstance(data, dict):  # scalabel "dataset" form {"frames": [...], "config": ...}
            data = data.get('frames', [])
        if not isinstance(data, list):
            raise ValueError(f'{file}: expected a list of scalabel frames')
        frames.extend(data)
    return frames


def annotation_fields(label: dict):
    """One scalabel label -> CocoVID annotation fields, or None when its category is not tracked."""
    category = label.get('category')
    box = label.get('box2d')
    if box is None:
        return None
    ignored = category in IGNORED
    category = IGNORED.get(category, category)
    if category not in CATEGORY_IDS:
        return None
    attributes = label.get('attributes') or {}
    crowd = bool(attributes.get('crowd', False))
    w, h = box['x2'] - box['x1'] + 1, box['y2'] - box['y1'] + 1
    return dict(
        category_id=CATEGORY_IDS[category], bbox=[box['x1'], box['y1'], w, h], area=w * h,
        iscrowd=int(crowd or ignored), occluded=bool(attributes.get('occluded', False)),
        truncated=bool(attributes.get('truncated', False)), crowd=crowd, bdd_id=str(label['id']))


def convert(frames: list, height: int = 720, width: int = 1280) -> dict:
    """Scalabel frames (any video order) -> CocoVID dict; videos in first-seen order, frames by frameIndex."""
    by_video = {}
    for frame in frames:
        by_video.setdefault(frame['videoName'], []).append(frame)
    videos, images, annotations = [], [], []
    instance_ids = {}
    for video_id, (video_name, video_frames) in enumerate(by_video.items(), start=1):
        videos.append(dict(id=video_id, name=video_name))
        for frame in sorted(video_frames, key=lambda f: f['frameIndex']):
            image_id = len(images) + 1
            images.append(dict(
                id=image_id, video_id=video_id, file_name=f'{video_name}/{frame["name"]}', height=height,
                width=width, frame_id=int(frame['frameIndex'])))
            for label in frame.get('labels') or []:
                fields = annotation_fields(label)
                if fields is None:
                    continue
                key = (video_name, fields['bdd_id'])
                instance_ids.setdefault(key, len(instance_ids) + 1)
                annotations.append(dict(fields, id=len(annotations) + 1, image_id=image_id,
                                        instance_id=instance_ids[key]))
    return dict(videos=videos, images=images, annotations=annotations, categories=CATEGORIES,
                num_instances=len(instance_ids))


def main(argv=None):
    args = parse_args(argv)
    coco = convert(load_frames(args.input), args.height, args.width)
    atomic_write_bytes(json.dumps(coco).encode('utf-8'), args.output)
    print(f'{len(coco["videos"])} videos, {len(coco["images"])} images, {len(coco["annotations"])} boxes, '
          f'{coco["num_instances"]} instances -> {args.output}')


if __name__ == '__main__':
    main()
