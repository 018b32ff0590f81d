"""Convert a UniDepth V1 checkpoint in the authors' key layout (Piccinelli et al., CVPR 2024) to PanguVision.

The authors' model is ``UniDepthV1(pixel_encoder, pixel_decoder)``; their files hold ``{'model': state_dict}`` or a
flat state dict, sometimes with a ``module.`` prefix (DistributedDataParallel). Where their names differ from ours,
:data:`RENAMES` maps them (first matching rule wins, applied to the whole key):

- ``pixel_encoder.`` -> ``backbone.vit.`` (ViT: DINOv2 parameter names are timm's) or ``backbone.convnext.``;
  DINOv2's unused ``mask_token`` is dropped;
- ``pixel_decoder.`` -> ``decoder.``; ``input_adapter.input_adapters.i`` -> ``input_adapters.i``,
  ``token_adapter.input_adapters.i`` -> ``token_adapters.i``; inside attention blocks ``norm_attnx`` ->
  ``norm_x`` and ``norm_attnctx`` -> ``norm_context``; in the upsamplers ``convs`` -> ``blocks``, ``up.0`` ->
  ``reduce``, ``up.2`` -> ``smooth``.

The result is checked strictly against the model of ``--config``: every one of our keys must be present with the
same shape and no key may be left over; otherwise the converter lists the missing, unexpected and mismatched keys
and writes nothing. ``--partial`` writes the keys that do match (e.g. to start from the released encoder) and still
lists the rest. Our decoder is a re-implementation from the paper: where its blocks differ from the released code
(the 1/8 and 1/4 stages use ConvNeXt blocks, not Nystrom attention) a released file does not convert strictly.

Example::

    python tools/model_converters/unidepth_to_panguvision.py unidepth_v1_vitl14.bin out.pth \
        --config configs/unidepth/unidepth_v1_vitl14_kitti.py
"""
import argparse
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

#: ``(pattern, replacement)`` regular expressions from the authors' key names to ours, applied in order (all rules).
RENAMES: List[Tuple[str, str]] = [
    (r'^module\.', ''),
    (r'^pixel_decoder\.input_adapter\.input_adapters\.', 'decoder.input_adapters.'),
    (r'^pixel_decoder\.token_adapter\.input_adapters\.', 'decoder.token_adapters.'),
    (r'^pixel_decoder\.', 'decoder.'),
    (r'\.norm_attnx\.', '.norm_x.'),
    (r'\.norm_attnctx\.', '.norm_context.'),
    (r'\.(up8|up4|up2)\.convs\.', r'.\1.blocks.'),
    (r'\.(up8|up4|up2)\.up\.0\.', r'.\1.reduce.'),
    (r'\.(up8|up4|up2)\.up\.2\.', r'.\1.smooth.'),
]
#: Keys of the authors' files that have no parameter in our model by design.
DROPPED = (r'^pixel_encoder\.mask_token$', )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="the authors' checkpoint (.pth / .pt / .bin / .safetensors)")
    parser.add_argument('dst', help='output mmengine-style checkpoint (.pth)')
    parser.add_argument('--config', required=True, help='PanguVision UniDepth config whose model receives the weights')
    parser.add_argument('--partial', action='store_true', help='write the matching keys even if others do not match')
    return parser.parse_args(argv)


def load_source(path: str) -> Dict[str, torch.Tensor]:
    """The flat state dict of the authors' file (``{'model': ...}`` unwrapped), read weights-only."""
    from panguvision.utils.checkpoint import load_weights_file, torch_load_safe
    if not path.endswith('.safetensors'):
        obj = torch_load_safe(path)
        if isinstance(obj, dict) and isinstance(obj.get('model'), dict):
            return OrderedDict(obj['model'])
    return load_weights_file(path)


def convert_keys(state: Dict[str, torch.Tensor], encoder: str) -> 'OrderedDict[str, torch.Tensor]':
    """Rename the authors' keys to ours (``encoder``: ``'vit'`` or ``'convnext'``); drop :data:`DROPPED`."""
    out = OrderedDict()
    for key, value in state.items():
        new = re.sub(r'^module\.', '', key)
        if any(re.search(p, new) for p in DROPPED):
            continue
        new = re.sub(r'^pixel_encoder\.', f'backbone.{encoder}.', new)
        for pattern, repl in RENAMES[1:]:
            new = re.sub(pattern, repl, new)
        if new in out:
            raise ValueError(f'two source keys map to {new!r} (the second is {key!r})')
        out[new] = value
    return out


def check_against(model: torch.nn.Module, state: Dict[str, torch.Tensor]) -> Tuple[list, list, list]:
    """``(missing, unexpected, shape mismatches)`` of ``state`` against ``model.state_dict()``."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = sorted(f'{k}: ours {tuple(expected[k].shape)}, file {tuple(state[k].shape)}'
                        for k in set(expected) & set(state) if expected[k].shape != state[k].shape)
    return missing, unexpected, mismatched


def build_model(config: str):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from panguvision.registry import MODELS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'panguvision'))
    return MODELS.build(cfg.model)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        model = build_model(args.config)
        encoder = 'vit' if hasattr(model.backbone, 'vit') else 'convnext'
        state = convert_keys(load_source(args.src), encoder)
        missing, unexpected, mismatched = check_against(model, state)
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    problems = [(t, k) for t, k in (('missing keys', missing), ('unexpected keys', unexpected),
                                    ('shape mismatch', mismatched)) if k]
    for title, keys in problems:
        print(f'{args.src}: {title} ({len(keys)}): ' + ', '.join(keys[:20]) + (' ...' if len(keys) > 20 else ''),
              file=sys.stderr)
    if problems and not args.partial:
        print(f'error: {args.src} does not match the model of {args.config}; nothing written', file=sys.stderr)
        return 1
    bad = set(unexpected) | {m.split(':')[0] for m in mismatched}
    kept = OrderedDict((k, v) for k, v in state.items() if k not in bad)
    model.load_state_dict(kept, strict=not problems)

    from panguvision.utils.checkpoint import atomic_torch_save
    meta = dict(source=args.src, config=args.config, converter='unidepth_to_panguvision', partial=bool(problems))
    atomic_torch_save({'state_dict': kept, 'meta': meta}, args.dst)
    print(f'wrote {len(kept)} tensors to {args.dst}' + (' (partial)' if problems else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
