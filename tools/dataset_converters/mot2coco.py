"""Convert a MOTChallenge dataset (MOT15/16/17/20, DanceTrack) to the CocoVID json of mmdet's video datasets.

``python tools/dataset_converters/mot2coco.py -i data/MOT17 -o data/MOT17/annotations [--split-train]
[--convert-det] [--dedup [--dedup-detector FRCNN]]``

Input: the official layout ``<input>/{train,val,test}/<seq>/{img1/000001.jpg, gt/gt.txt, det/det.txt,
seqinfo.ini}`` (``val``: DanceTrack's validation split, with ``gt``; ``test`` has no ``gt``). ``seqinfo.ini`` gives
the image folder, extension, length and size of each sequence.

Output, per subset (``train``, ``val``, ``test`` when present, and with ``--split-train`` ``half-train`` /
``half-val``):

* ``<output>/<subset>_cocoformat.json`` with
  ``videos``: ``{id, name, fps, width, height, seq_length}``;
  ``images``: ``{id, video_id, file_name ('<seq>/img1/000001.jpg', relative to <input>/<split>), height, width,
  frame_id (0-based within the subset's video, what mmdet expects), mot_frame_id (the 1-based frame of gt.txt)}``;
  ``annotations``: ``{id, image_id, category_id (1), instance_id (>= 1, unique over the subset), bbox [x, y, w, h]
  (pixels, top-left corner), area, iscrowd, visibility, mot_conf, mot_class_id, mot_instance_id}``;
  ``categories``: ``[{'id': 1, 'name': 'pedestrian'}]``; ``num_instances``.
  Read it with ``mmdet.MOTChallengeDataset(ann_file=..., data_prefix=dict(img_path='<input>/train'),
  metainfo=dict(classes=('pedestrian',)))``.
* ``--convert-det``: ``<output>/<subset>_detections.json`` with the public detections of ``det/det.txt``:
  ``{file_name: [[x1, y1, x2, y2, score], ...]}`` (pixels, corners, one list per image, empty when none).
* ``--split-train``: the MOT17 half split of ByteTrack/QDTrack/mmdet: of a sequence's ``n`` frames the first
  ``n // 2 + 1`` are ``half-train`` and the rest ``half-val``. ``<output>/half-val_gt/<seq>/{gt/gt.txt, seqinfo.ini}``
  holds the half-val ground truth with the original frame numbers, ready for
  ``tools/analysis_tools/mot/eval_mot.py --gt-root <output>/half-val_gt``.

Ground-truth classes (``mot_class_id`` keeps the original): pedestrians (class 1, or -1 in MOT15) with ``conf`` 1 are
regular boxes; pedestrians with ``conf`` 0 and the person-like distractors (person_on_vehicle, static_person,
distractor, reflection) and crowd are written as ``category_id 1, iscrowd 1``, which mmdet turns into
``ignore_flag = 1`` (neither positive nor negative in training, as the evaluation neither rewards nor punishes them);
vehicles and occluders (classes 3, 4, 5, 6, 9, 10, 11) are dropped. mmdet's own converter keeps all 13 classes with
``iscrowd 0``; the pedestrian-only form here is what the trackers train on.

``--dedup``: MOT17 ships every sequence three times (``-DPM``, ``-FRCNN``, ``-SDP``) with the same images and gt and
different public detections. For the subsets with gt, only the ``--dedup-detector`` copy of each sequence is kept so
that training does not see every frame three times; ``test`` always keeps all three (submissions need each).
"""
import argparse
import json
import os
import os.path as osp
import re
from collections import defaultdict

from panguvision.evaluation.functional.mot_io import MOT_DISTRACTOR_CLASSES, read_mot_txt, read_seqinfo, write_mot_txt
from panguvision.utils.checkpoint import atomic_write_bytes

CATEGORIES = [{'id': 1, 'name': 'pedestrian'}]
IGNORED_CLASSES = set(MOT_DISTRACTOR_CLASSES) | {13}  # written as iscrowd pedestrians
PEDESTRIAN_CLASSES = {1, -1}  # -1: MOT15, no classes
MOT17_COPY = re.compile(r'^(?P<base>.+)-(?P<detector>DPM|FRCNN|SDP)$')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Convert MOTChallenge labels and detections to CocoVID json')
    parser.add_argument('-i', '--input', required=True, help='dataset root holding train/ (and val/, test/)')
    parser.add_argument('-o', '--output', required=True, help='folder for the json files')
    parser.add_argument('--split-train', action='store_true', help='also write half-train / half-val')
    parser.add_argument('--convert-det', action='store_true', help='also write the public detections (det/det.txt)')
    parser.add_argument('--dedup', action='store_true', help='keep one of the MOT17 DPM/FRCNN/SDP copies (gt subsets)')
    parser.add_argument('--dedup-detector', default='FRCNN', choices=['DPM', 'FRCNN', 'SDP'])
    return parser.parse_args(argv)


def list_sequences(split_dir: str, dedup: bool = False, detector: str = 'FRCNN') -> list:
    """Sorted sequence folders (those with ``seqinfo.ini``); with ``dedup`` one per MOT17 DPM/FRCNN/SDP triple."""
    seqs = sorted(n for n in os.listdir(split_dir) if osp.isfile(osp.join(split_dir, n, 'seqinfo.ini')))
    if not dedup:
        return seqs
    kept = []
    for seq in seqs:
        match = MOT17_COPY.match(seq)
        if match is None or match['detector'] == detector:
            kept.append(seq)
    return kept


def list_frames(seq_dir: str, info: dict) -> list:
    """``[(mot_frame_id, image name), ...]`` of a sequence, sorted by frame; checks the count against seqinfo."""
    im_dir, ext = osp.join(seq_dir, str(info['imDir'])), str(info.get('imExt', '.jpg'))
    names = sorted(n for n in os.listdir(im_dir) if n.endswith(ext))
    if len(names) != int(info['seqLength']):
        raise ValueError(f'{im_dir}: {len(names)} {ext} images, expected seqLength={info["seqLength"]} of seqinfo.ini')
    return sorted((int(osp.splitext(n)[0]), n) for n in names)


def annotation_fields(row) -> dict:
    """One validated gt row (``read_mot_txt`` 'gt' columns) -> CocoVID annotation fields, or None to drop it."""
    frame, mot_id, x, y, w, h, conf, cls, vis = (float(v) for v in row)
    cls = int(cls)
    if cls in PEDESTRIAN_CLASSES:
        iscrowd = int(conf == 0)
    elif cls in IGNORED_CLASSES:
        iscrowd = 1
    else:
        return None
    return dict(
        category_id=1, bbox=[x, y, w, h], area=w * h, iscrowd=iscrowd, visibility=1.0 if vis < 0 else vis,
        mot_conf=conf, mot_class_id=cls, mot_instance_id=int(mot_id))


class CocoVidWriter:
    """Accumulates videos, images and annotations with ids starting at 1 (instance ids unique per subset)."""

    def __init__(self):
        self.videos, self.images, self.annotations = [], [], []
        self.detections = {}
        self.num_instances = 0

    def add_sequence(self, seq, info, frames, gt_by_frame, dets_by_frame):
        video_id = len(self.videos) + 1
        self.videos.append(dict(
            id=video_id, name=seq, fps=info.get('frameRate'), width=int(info['imWidth']),
            height=int(info['imHeight']), seq_length=int(info['seqLength'])))
        instance_ids = {}
        for frame_id, (mot_frame, name) in enumerate(frames):
            image_id = len(self.images) + 1
            file_name = f'{seq}/{info["imDir"]}/{name}'
            self.images.append(dict(
                id=image_id, video_id=video_id, file_name=file_name, height=int(info['imHeight']),
                width=int(info['imWidth']), frame_id=frame_id, mot_frame_id=mot_frame))
            for fields in gt_by_frame.get(mot_frame, []):
                if fields['mot_instance_id'] not in instance_ids:
                    self.num_instances += 1
                    instance_ids[fields['mot_instance_id']] = self.num_instances
                self.annotations.append(dict(
                    fields, id=len(self.annotations) + 1, image_id=image_id,
                    instance_id=instance_ids[fields['mot_instance_id']]))
            if dets_by_frame is not None:
                self.detections[file_name] = dets_by_frame.get(mot_frame, [])

    def coco(self) -> dict:
        return dict(videos=self.videos, images=self.images, annotations=self.annotations, categories=CATEGORIES,
                    num_instances=self.num_instances)


def dump_json(obj, path):
    atomic_write_bytes(json.dumps(obj).encode('utf-8'), path)


def convert_subset(input_root, output, subset, with_det=False, dedup=False, detector='FRCNN'):
    """Convert one subset (``train``, ``val``, ``test``, ``half-train``, ``half-val``); returns the CocoVID dict."""
    split = 'train' if subset.startswith('half') else subset
    split_dir = osp.join(input_root, split)
    has_gt = subset != 'test'
    writer = CocoVidWriter()
    for seq in list_sequences(split_dir, dedup=dedup and has_gt, detector=detector):
        seq_dir = osp.join(split_dir, seq)
        info = read_seqinfo(osp.join(seq_dir, 'seqinfo.ini'))
        frames = list_frames(seq_dir, info)
        if subset == 'half-train':
            frames = frames[:len(frames) // 2 + 1]
        elif subset == 'half-val':
            frames = frames[len(frames) // 2 + 1:]
        gt_by_frame = defaultdict(list)
        if has_gt:
            gt = read_mot_txt(osp.join(seq_dir, 'gt', 'gt.txt'), 'gt', max_frame=int(info['seqLength']))
            for row in gt:
                fields = annotation_fields(row)
                if fields is not None:
                    gt_by_frame[int(row[0])].append(fields)
            if subset == 'half-val':
                keep = {f for f, _ in frames}
                write_mot_txt(osp.join(output, 'half-val_gt', seq, 'gt', 'gt.txt'),
                              [row for row in gt if int(row[0]) in keep])
                with open(osp.join(seq_dir, 'seqinfo.ini'), 'rb') as f:
                    atomic_write_bytes(f.read(), osp.join(output, 'half-val_gt', seq, 'seqinfo.ini'))
        dets_by_frame = None
        if with_det:
            dets_by_frame = defaultdict(list)
            for frame, _, x, y, w, h, score in read_mot_txt(osp.join(seq_dir, 'det', 'det.txt'), 'det'):
                dets_by_frame[int(frame)].append([x, y, x + w, y + h, score])
        writer.add_sequence(seq, info, frames, gt_by_frame, dets_by_frame)
    coco = writer.coco()
    dump_json(coco, osp.join(output, f'{subset}_cocoformat.json'))
    if with_det:
        dump_json(writer.detections, osp.join(output, f'{subset}_detections.json'))
    return coco


def main(argv=None):
    args = parse_args(argv)
    subsets = [s for s in ('train', 'val', 'test') if osp.isdir(osp.join(args.input, s))]
    if args.split_train and 'train' in subsets:
        subsets += ['half-train', 'half-val']
    if not subsets:
        raise SystemExit(f'{args.input}: no train/, val/ or test/ folder, expected the MOTChallenge layout')
    for subset in subsets:
        coco = convert_subset(args.input, args.output, subset, args.convert_det, args.dedup, args.dedup_detector)
        print(f'{subset}: {len(coco["videos"])} videos, {len(coco["images"])} images, '
              f'{len(coco["annotations"])} boxes, {coco["num_instances"]} instances -> '
              f'{osp.join(args.output, subset + "_cocoformat.json")}')


if __name__ == '__main__':
    main()
