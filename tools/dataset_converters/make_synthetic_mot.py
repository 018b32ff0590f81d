"""Write synthetic MOT sequences (textured sprites that move, cross and occlude) in the MOTChallenge layout.

``python tools/dataset_converters/make_synthetic_mot.py OUT [--num-seqs 4] [--frames 60] [--size 240 320] [--seed 0]
[--split train]``

Writes ``OUT/<split>/SYN-XX/{img1/000001.jpg, gt/gt.txt, det/det.txt, seqinfo.ini}`` (see
``panguvision.datasets.synthetic_mot``). Then ``python tools/dataset_converters/mot2coco.py -i OUT -o OUT/annotations
--convert-det`` writes the CocoVID json and the public detections json.
"""
import argparse

from panguvision.datasets.synthetic_mot import make_synthetic_mot


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Write synthetic MOTChallenge-layout sequences')
    parser.add_argument('out', help='dataset root to write')
    parser.add_argument('--num-seqs', type=int, default=4, help='number of sequences')
    parser.add_argument('--frames', type=int, default=60, help='frames per sequence')
    parser.add_argument('--size', type=int, nargs=2, default=(240, 320), metavar=('H', 'W'), help='frame size')
    parser.add_argument('--objects', type=int, nargs=2, default=(4, 8), metavar=('MIN', 'MAX'),
                        help='inclusive range of the number of sprites per sequence')
    parser.add_argument('--seed', type=int, default=0, help='base random seed')
    parser.add_argument('--split', default='train', help='split folder (train: mot2coco converts it with gt)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    seqs = make_synthetic_mot(args.out, num_sequences=args.num_seqs, num_frames=args.frames, image_size=args.size,
                              num_objects=args.objects, seed=args.seed, split=args.split)
    print(f'wrote {len(seqs)} sequences of {args.frames} frames to {args.out}/{args.split}')


if __name__ == '__main__':
    main()
