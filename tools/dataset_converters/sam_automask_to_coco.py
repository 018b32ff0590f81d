"""Segment every image of a folder with SAM's automatic mask generator and write the masks as COCO json.

``python tools/dataset_converters/sam_automask_to_coco.py IMG_DIR OUT.json --sam-checkpoint PATH --model-type vit_b
[--points-per-side 32] [--pred-iou-thresh 0.88] [--stability-score-thresh 0.95] [--min-mask-area 100]
[--max-masks 200] [--max-images N] [--device auto]``

segment-anything's ``SamAutomaticMaskGenerator`` prompts SAM with a grid of points and keeps the confident, stable,
non-duplicate masks. Each mask becomes one annotation: ``bbox`` ``[x, y, w, h]`` (pixels), ``segmentation`` (COCO RLE
with a utf-8 ``counts`` string), ``area`` (mask pixels), ``predicted_iou``, ``stability_score``, ``point_coords``,
``category_id`` 1 (``object``: the masks carry no classes) and ``iscrowd`` 0. ``images`` hold ``file_name`` relative to
IMG_DIR, ``height`` and ``width``. This is MASA's training data: read it with ``MASAPseudoVideoDataset``
(``configs/masa/``). Weights are read from the local ``--sam-checkpoint`` file, never downloaded; ``--model-type tiny``
builds a small random SAM without one, for tests (its masks are meaningless).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SAM automatic masks of an image folder -> COCO json')
    parser.add_argument('img_dir', help='folder of images (searched recursively)')
    parser.add_argument('out', help='output COCO json')
    parser.add_argument('--sam-checkpoint', help='local SAM weights (sam_vit_b_01ec64.pth, ...)')
    parser.add_argument('--model-type', default='vit_b', choices=['vit_b', 'vit_l', 'vit_h', 'tiny'],
                        help='SAM size; tiny: a small random SAM for tests')
    parser.add_argument('--points-per-side', type=int, default=32)
    parser.add_argument('--points-per-batch', type=int, default=64)
    parser.add_argument('--pred-iou-thresh', type=float, default=0.88)
    parser.add_argument('--stability-score-thresh', type=float, default=0.95)
    parser.add_argument('--box-nms-thresh', type=float, default=0.7)
    parser.add_argument('--min-mask-area', type=int, default=100, help='drop masks with fewer pixels')
    parser.add_argument('--max-masks', type=int, default=200, help='keep the best masks per image (predicted IoU)')
    parser.add_argument('--max-images', type=int, default=None)
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu ...')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random tiny SAM')
    args = parser.parse_args(argv)
    if args.model_type != 'tiny' and not args.sam_checkpoint:
        parser.error(f'--model-type {args.model_type} needs --sam-checkpoint (a local weights file); weights are never '
                     'downloaded')
    if args.sam_checkpoint and not os.path.isfile(args.sam_checkpoint):
        parser.error(f'SAM checkpoint not found: {args.sam_checkpoint}')
    return args


def list_images(img_dir: str) -> list:
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'image folder not found: {img_dir}')
    paths = []
    for dirpath, _, names in os.walk(img_dir):
        paths += [osp.join(dirpath, n) for n in names if n.lower().endswith(IMG_EXTENSIONS)]
    if not paths:
        raise FileNotFoundError(f'{img_dir}: no images with extensions {IMG_EXTENSIONS}')
    return sorted(paths)


def masks_to_annotations(records: list, image_id: int, first_ann_id: int, min_area: int, max_masks: int) -> list:
    """``SamAutomaticMaskGenerator`` records (``output_mode='coco_rle'``) -> COCO annotations, best IoU first."""
    records = sorted((r for r in records if int(r['area']) >= min_area), key=lambda r: -float(r['predicted_iou']))
    anns = []
    for k, rec in enumerate(records[:max_masks]):
        seg = dict(rec['segmentation'])
        if isinstance(seg.get('counts'), bytes):
            seg['counts'] = seg['counts'].decode('utf-8')
        anns.append(dict(
            id=first_ann_id + k, image_id=image_id, category_id=1, iscrowd=0, segmentation=seg,
            bbox=[float(v) for v in rec['bbox']], area=int(rec['area']), predicted_iou=float(rec['predicted_iou']),
            stability_score=float(rec['stability_score']),
            point_coords=[[float(v) for v in p] for p in rec.get('point_coords', [])]))
    return anns


def main(argv=None):
    args = parse_args(argv)
    from segment_anything import SamAutomaticMaskGenerator

    from panguvision.apis import resolve_device
    from panguvision.models.sam_utils import build_sam_model
    from panguvision.utils.checkpoint import atomic_write_bytes
    from panguvision.utils.image_io import read_image

    paths = list_images(args.img_dir)[:args.max_images]
    sam = build_sam_model(args.model_type, args.sam_checkpoint, seed=args.seed).to(resolve_device(args.device))
    generator = SamAutomaticMaskGenerator(
        sam, points_per_side=args.points_per_side, points_per_batch=args.points_per_batch,
        pred_iou_thresh=args.pred_iou_thresh, stability_score_thresh=args.stability_score_thresh,
        box_nms_thresh=args.box_nms_thresh, output_mode='coco_rle')
    images, annotations = [], []
    start = time.time()
    for image_id, path in enumerate(paths, 1):
        img = read_image(path)  # (h, w, 3) uint8 RGB
        h, w = img.shape[:2]
        images.append(dict(id=image_id, file_name=osp.relpath(path, args.img_dir), height=h, width=w))
        annotations += masks_to_annotations(generator.generate(img), image_id, len(annotations) + 1,
                                            args.min_mask_area, args.max_masks)
    coco = dict(images=images, annotations=annotations, categories=[dict(id=1, name='object')],
                info=dict(description='SAM automatic masks', model_type=args.model_type,
                          sam_checkpoint=args.sam_checkpoint, points_per_side=args.points_per_side,
                          pred_iou_thresh=args.pred_iou_thresh, stability_score_thresh=args.stability_score_thresh))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    atomic_write_bytes(json.dumps(coco).encode('utf-8'), args.out)
    print(f'{len(images)} images, {len(annotations)} masks in {time.time() - start:.1f} s -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
