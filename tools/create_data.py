"""Create the info files of the LiDAR segmentation datasets (mmdet3d's ``tools/create_data.py`` shape).

``python tools/create_data.py semantickitti --root-path data/semantickitti [--out-dir DIR] [--label-folder labels]``
    writes ``semantickitti_infos_{train,val,test}.pkl`` from the real folder contents (the official sequence split;
    scans are found on disk, nothing assumed about their count) with camera 2 (``image_2`` + ``calib.txt``) attached
    when present. ``--label-folder scribbles --prefix scribblekitti`` gives ScribbleKITTI.
``python tools/create_data.py nuscenes-lidarseg --root-path data/nuscenes --version v1.0-trainval [--cameras ...]``
    loads the dataset with nuscenes-devkit (``lidarseg`` installed under ``<root>/lidarseg/<version>``) and writes
    ``nuscenes_lidarseg_infos_{train,val}.pkl`` (``v1.0-mini``: ``mini_train`` / ``mini_val``, ``v1.0-test``:
    ``test``), the devkit's own scene splits.
``python tools/create_data.py semi-split INFO.pkl --ratio 0.1 [--mode uniform|random] [--seed 0]``
    writes ``INFO.<pct>pct.labelled.pkl`` and ``INFO.<pct>pct.unlabelled.pkl`` (LaserMix protocol: 1/10/20/50 %).

Info files are written atomically (``mmengine.dump`` to a temporary file, then renamed).
"""
import argparse
import os
import os.path as osp
import sys
import tempfile

import mmengine

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from dataset_converters.lidarseg_infos import (SEMANTICKITTI_SPLITS, nuscenes_lidarseg_infos,  # noqa: E402
                                               semantickitti_infos, split_infos)

NUSCENES_SPLITS = {
    'v1.0-trainval': ('train', 'val'),
    'v1.0-mini': ('mini_train', 'mini_val'),
    'v1.0-test': ('test', ),
}


def dump_atomic(data: dict, path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(path)), suffix='.pkl')
    os.close(fd)
    try:
        mmengine.dump(data, tmp, file_format='pkl')
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    print(f'{len(data["data_list"])} samples -> {path}')


def create_semantickitti(args) -> None:
    out_dir = args.out_dir or args.root_path
    sequences_dir = osp.join(args.root_path, 'sequences')
    if not osp.isdir(sequences_dir):
        raise FileNotFoundError(f'{sequences_dir}: no such folder (expected the SemanticKITTI layout)')
    present = set(os.listdir(sequences_dir))
    for split, sequences in SEMANTICKITTI_SPLITS.items():
        sequences = [s for s in sequences if s in present]
        if not sequences:
            continue
        infos = semantickitti_infos(args.root_path, sequences, args.label_folder, None if args.no_camera else 'image_2')
        meta = dict(DATASET='SemanticKITTI', label_folder=args.label_folder, sequences=sequences)
        dump_atomic(dict(metainfo=meta, data_list=infos), osp.join(out_dir, f'{args.prefix}_infos_{split}.pkl'))


def create_nuscenes_lidarseg(args) -> None:
    from nuscenes import NuScenes
    from nuscenes.utils.splits import create_splits_scenes
    nusc = NuScenes(version=args.version, dataroot=args.root_path, verbose=False)
    if not hasattr(nusc, 'lidarseg'):
        raise FileNotFoundError(f'{args.root_path}/{args.version}: no lidarseg.json (install nuScenes-lidarseg into '
                                f'the dataset folder)')
    scenes = create_splits_scenes()
    for split in NUSCENES_SPLITS[args.version]:
        infos = nuscenes_lidarseg_infos(nusc, scenes[split], args.cameras)
        meta = dict(DATASET='nuScenes-lidarseg', version=args.version, split=split)
        name = split.replace('mini_', '')
        dump_atomic(dict(metainfo=meta, data_list=infos), osp.join(args.out_dir or args.root_path,
                                                                   f'{args.prefix}_infos_{name}.pkl'))


def create_semi_split(args) -> None:
    data = mmengine.load(args.info)
    if not isinstance(data, dict) or 'data_list' not in data:
        raise ValueError(f'{args.info}: expected an mmdet3d v2 info file (a dict with data_list)')
    parts = split_infos(data, args.ratio, args.mode, args.seed)
    stem = osp.splitext(args.info)[0]
    pct = f'{100 * args.ratio:g}pct'
    for name, part in parts.items():
        dump_atomic(part, f'{stem}.{pct}.{name}.pkl')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Create LiDAR segmentation info files')
    sub = parser.add_subparsers(dest='dataset', required=True)
    kitti = sub.add_parser('semantickitti', help='SemanticKITTI / ScribbleKITTI')
    kitti.add_argument('--root-path', required=True)
    kitti.add_argument('--out-dir', default=None, help='default: the root path')
    kitti.add_argument('--label-folder', default='labels', help="'labels' or 'scribbles' (ScribbleKITTI)")
    kitti.add_argument('--prefix', default='semantickitti')
    kitti.add_argument('--no-camera', action='store_true', help='do not attach image_2 + calib.txt')
    nus = sub.add_parser('nuscenes-lidarseg', help='nuScenes-lidarseg (nuscenes-devkit)')
    nus.add_argument('--root-path', required=True)
    nus.add_argument('--version', default='v1.0-trainval', choices=sorted(NUSCENES_SPLITS))
    nus.add_argument('--out-dir', default=None)
    nus.add_argument('--prefix', default='nuscenes_lidarseg')
    nus.add_argument('--cameras', nargs='+', default=['CAM_FRONT'])
    semi = sub.add_parser('semi-split', help='labelled / unlabelled split of an info file')
    semi.add_argument('info')
    semi.add_argument('--ratio', type=float, required=True, help='labelled fraction, e.g. 0.01 0.1 0.2 0.5')
    semi.add_argument('--mode', default='uniform', choices=['uniform', 'random'])
    semi.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    {'semantickitti': create_semantickitti, 'nuscenes-lidarseg': create_nuscenes_lidarseg,
     'semi-split': create_semi_split}[args.dataset](args)


if __name__ == '__main__':
    main()
