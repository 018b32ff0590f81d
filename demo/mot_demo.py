"""Track people (or any detected objects) in a video or a folder of frames with a tracking config.

``python demo/mot_demo.py INPUT CONFIG [--checkpoint CKPT] [--detector hog | DET_CONFIG --det-checkpoint CKPT]
[--out out.mp4] [--txt out.txt] [--max-frames N] [--device auto]``

INPUT: a video file or a folder of frames (sorted by name, one video). CONFIG: a tracker config
(``configs/iou_tracker/*.py``, ``configs/walker/*.py``); raw frames have no public detections, so a detector is
needed: ``--detector hog`` (OpenCV's HOG people detector, works offline without downloaded weights; the default when
the config has no detector) or an mmdet detector config with ``--det-checkpoint``. Writes an mp4 with boxes, ids
and trails (default ``outputs/<stem>_mot.mp4``, the input's fps) and with ``--txt`` the MOTChallenge result rows
``frame,id,x,y,w,h,score,-1,-1,-1``. Prints a progress bar and the tracking speed (frames per second, drawing and
writing excluded). Headless: no window is ever opened.
"""
import argparse
import os.path as osp
import time

from mmengine.config import Config

from panguvision.apis import config_resize_scale, init_mot_model, mot_rows, track_frames
from panguvision.evaluation.functional.mot_io import write_mot_txt
from panguvision.utils.image_io import read_image
from panguvision.utils.media_io import Mp4Writer, iter_video_frames, list_images, media_kind, video_info
from panguvision.visualization import TrackTrails, draw_tracks


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='PanguVision multi-object tracking demo')
    parser.add_argument('input', help='video file or folder of frames')
    parser.add_argument('config', help='tracker config file')
    parser.add_argument('--checkpoint', default=None, help='tracker weights (none for the IoU baseline)')
    parser.add_argument('--detector', default=None,
                        help='"hog" or an mmdet detector config (default: the config\'s detector, else hog)')
    parser.add_argument('--det-checkpoint', default=None, help='weights of an mmdet --detector config')
    parser.add_argument('--out', default=None, help='output mp4 (default: outputs/<input stem>_mot.mp4)')
    parser.add_argument('--txt', default=None, help='also write MOTChallenge result rows to this file')
    parser.add_argument('--max-frames', type=int, default=None, help='track at most this many frames')
    parser.add_argument('--fps', type=float, default=None, help='output fps (default: the video\'s, 10 for folders)')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu | ...')
    return parser.parse_args(argv)


def frame_source(path: str, max_frames=None):
    """``(frames iterator, fps, total or None)`` of a video file or a folder of frames."""
    kind = media_kind(path)
    if kind == 'video':
        fps, total = video_info(path)
        total = min(total, max_frames) if total and max_frames else (total or max_frames)
        return iter_video_frames(path, max_frames), fps, total
    if kind == 'folder':
        files = list_images(path)[:max_frames]
        return (read_image(f) for f in files), 10.0, len(files)
    raise ValueError(f'{path}: expected a video file or a folder of frames, got a single image')


def main(argv=None):
    args = parse_args(argv)
    from tqdm import tqdm
    cfg = Config.fromfile(args.config)
    detector = args.detector or (None if cfg.model.get('detector') else 'hog')
    model = init_mot_model(cfg, args.checkpoint, args.device, detector, args.det_checkpoint)
    frames, fps, total = frame_source(args.input, args.max_frames)
    stem = osp.splitext(osp.basename(osp.normpath(args.input)))[0]
    out = args.out or osp.join('outputs', f'{stem}_mot.mp4')
    trails, rows, seconds, count = TrackTrails(), [], 0.0, 0
    stream = track_frames(model, frames, config_resize_scale(cfg))
    with Mp4Writer(out, args.fps or fps) as writer:
        for frame_id in tqdm(range(total) if total else iter(int, 1), total=total, desc='tracking', unit='frame'):
            start = time.perf_counter()
            item = next(stream, None)
            if item is None:
                break
            seconds += time.perf_counter() - start
            frame, tracks = item
            rows += mot_rows(frame_id, tracks)
            writer.write(draw_tracks(frame, tracks.bboxes.numpy(), tracks.instances_id.tolist(), trails=trails))
            count += 1
    if args.txt:
        write_mot_txt(args.txt, rows)
    ids = len({int(r[1]) for r in rows})
    print(f'{count} frame(s), {len(rows)} boxes, {ids} identities; tracking {count / max(seconds, 1e-9):.2f} FPS '
          f'({model.__class__.__name__}, detector {model.detector.__class__.__name__}, device {args.device})')
    print(f'video written to {out}' + (f', MOTChallenge rows to {args.txt}' if args.txt else ''))


if __name__ == '__main__':
    main()
