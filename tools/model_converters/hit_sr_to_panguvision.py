"""Convert released HiT-SR weights (HiT-SR, Zhang et al., ECCV 2024) to a PanguVision checkpoint.

Reads the authors' BasicSR ``.pth`` (``{'params': ..., 'params_ema': ...}``) or a Hugging Face ``.safetensors``
(plain state dict), checks that it loads with ``strict=True`` into the PanguVision network, and writes
``{'state_dict': {'generator.' + key: tensor}, 'meta': {...}}`` atomically (temporary file + ``os.replace``).

Example::

    python tools/model_converters/hit_sr_to_panguvision.py HiT-SRF-4x.pth hit_srf_x4.pth --arch hit_srf --scale 4
"""
import argparse
import os
import sys

ARCHS = ('hit_sir', 'hit_sng', 'hit_srf')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='BasicSR .pth or Hugging Face .safetensors file')
    parser.add_argument('dst', help='output mmengine-style checkpoint (.pth)')
    parser.add_argument('--arch', choices=ARCHS, required=True, help='network variant')
    parser.add_argument('--scale', type=int, choices=(2, 3, 4), required=True, help='upscale factor')
    parser.add_argument('--key', choices=('params_ema', 'params'), default='params_ema',
                        help='weights to take from a BasicSR file (falls back to the other one if absent)')
    return parser.parse_args(argv)


def load_source(path: str, key: str) -> dict:
    """The plain state dict in ``path``, read by the project's weights-only loader: entry ``key`` of a BasicSR file
    when present, otherwise the other BasicSR entry or the flat state dict."""
    from panguvision.utils.checkpoint import CheckpointLoadError, load_weights_file
    if path.endswith('.safetensors'):
        return load_weights_file(path)
    try:
        return load_weights_file(path, key=key)
    except CheckpointLoadError as err:
        if f'no key {key!r}' not in str(err):
            raise
        print(f'{path}: {key!r} is absent; using what the file holds')
        return load_weights_file(path)


def build_model(arch: str, scale: int):
    from panguvision.models.sr.hit_sr import HiTSIR, HiTSNG, HiTSRF
    return {'hit_sir': HiTSIR, 'hit_sng': HiTSNG, 'hit_srf': HiTSRF}[arch](upscale=scale)


def check_strict(model, state: dict, path: str):
    """Load ``state`` strictly, raising a message that names the file and the offending keys."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = sorted(k for k in set(expected) & set(state) if tuple(expected[k].shape) != tuple(state[k].shape))
    if missing or unexpected or mismatched:
        lines = [f'{path}: does not match {type(model).__name__}(upscale={model.upscale})']
        for title, keys in (('missing keys', missing), ('unexpected keys', unexpected),
                            ('shape mismatch', mismatched)):
            if keys:
                lines.append(f'  {title} ({len(keys)}): ' + ', '.join(keys[:20]) + (' ...' if len(keys) > 20 else ''))
        raise ValueError('\n'.join(lines))
    model.load_state_dict(state, strict=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        state = load_source(args.src, args.key)
        model = build_model(args.arch, args.scale)
        check_strict(model, state, args.src)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    converted = {'generator.' + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    meta = dict(source=os.path.basename(args.src), arch=args.arch, scale=args.scale, key=args.key,
                paper='HiT-SR, Zhang et al., ECCV 2024', converter='hit_sr_to_panguvision')
    from panguvision.utils.checkpoint import atomic_torch_save
    atomic_torch_save({'state_dict': converted, 'meta': meta}, args.dst)
    print(f'wrote {args.dst} ({len(converted)} tensors)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
