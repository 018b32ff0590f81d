"""tools/model_converters/unidepth_to_panguvision.py on fake state dicts in the authors' key layout."""
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'tests/configs/tiny_unidepth.py')
sys.path.insert(0, str(REPO / 'tools' / 'model_converters'))
import unidepth_to_panguvision as conv  # noqa: E402


def authors_layout(ours: dict) -> 'OrderedDict[str, torch.Tensor]':
    """Our tiny model's weights renamed to the authors' layout (UniDepthV1.pixel_encoder / pixel_decoder), written
    out rule by rule from their public module names."""
    out = OrderedDict()
    for key, value in ours.items():
        new = key.replace('backbone.vit.', 'pixel_encoder.', 1)
        new = new.replace('decoder.input_adapters.', 'pixel_decoder.input_adapter.input_adapters.', 1)
        new = new.replace('decoder.token_adapters.', 'pixel_decoder.token_adapter.input_adapters.', 1)
        if new.startswith('decoder.'):
            new = 'pixel_decoder.' + new[len('decoder.'):]
        new = new.replace('.norm_x.', '.norm_attnx.').replace('.norm_context.', '.norm_attnctx.')
        for up in ('up8', 'up4', 'up2'):
            new = new.replace(f'.{up}.blocks.', f'.{up}.convs.').replace(f'.{up}.reduce.', f'.{up}.up.0.')
            new = new.replace(f'.{up}.smooth.', f'.{up}.up.2.')
        out['module.' + new] = value.clone()
    out['module.pixel_encoder.mask_token'] = torch.zeros(1, 32)
    return out


@pytest.fixture(scope='module')
def model():
    return conv.build_model(CONFIG)


def test_key_renames_on_literal_author_names():
    state = {
        'module.pixel_encoder.blocks.0.attn.qkv.weight': torch.zeros(1),
        'pixel_encoder.mask_token': torch.zeros(1),
        'pixel_decoder.camera_layer.aggregate.norm_attnctx.weight': torch.zeros(1),
        'pixel_decoder.input_adapter.input_adapters.1.1.bias': torch.zeros(1),
        'pixel_decoder.depth_layer.up4.up.2.weight': torch.zeros(1),
        'pixel_decoder.depth_layer.up2.convs.0.conv_dw.weight': torch.zeros(1),
    }
    assert list(conv.convert_keys(state, 'vit')) == [
        'backbone.vit.blocks.0.attn.qkv.weight',
        'decoder.camera_layer.aggregate.norm_context.weight',
        'decoder.input_adapters.1.1.bias',
        'decoder.depth_layer.up4.smooth.weight',
        'decoder.depth_layer.up2.blocks.0.conv_dw.weight',
    ]
    assert list(conv.convert_keys({'pixel_encoder.stages.0.x': torch.zeros(1)}, 'convnext')) == [
        'backbone.convnext.stages.0.x']


def test_converts_a_full_checkpoint_strictly(model, tmp_path, capsys):
    theirs = authors_layout(model.state_dict())
    src, dst = tmp_path / 'unidepth.pth', tmp_path / 'ours.pth'
    torch.save({'model': theirs}, src)
    assert conv.main([str(src), str(dst), '--config', CONFIG]) == 0
    saved = torch.load(dst, weights_only=True)
    assert not saved['meta']['partial']
    ours = model.state_dict()
    assert set(saved['state_dict']) == set(ours)
    assert all(torch.equal(saved['state_dict'][k], ours[k]) for k in ours)
    # and it loads strictly through the normal checkpoint path
    from panguvision.apis import init_model
    loaded = init_model(CONFIG, str(dst), device='cpu')
    assert torch.equal(loaded.decoder.camera_layer.latents, model.decoder.camera_layer.latents)


def test_mismatches_are_listed_and_nothing_is_written(model, tmp_path, capsys):
    theirs = authors_layout(model.state_dict())
    theirs['module.pixel_decoder.depth_layer.layers_8.0.q.weight'] = torch.zeros(4, 4)  # no counterpart (Nystrom)
    key = 'module.pixel_decoder.depth_layer.out2.weight'
    theirs[key] = torch.zeros(1, 2, 3, 3)  # wrong shape
    del theirs['module.pixel_decoder.level_embeds']
    src, dst = tmp_path / 'unidepth.pth', tmp_path / 'ours.pth'
    torch.save(theirs, src)
    assert conv.main([str(src), str(dst), '--config', CONFIG]) == 1
    err = capsys.readouterr().err
    assert 'decoder.level_embeds' in err and 'decoder.depth_layer.layers_8.0.q.weight' in err
    assert 'decoder.depth_layer.out2.weight: ours (1, 4, 3, 3), file (1, 2, 3, 3)' in err
    assert not dst.exists()
    # --partial keeps what matches
    assert conv.main([str(src), str(dst), '--config', CONFIG, '--partial']) == 0
    saved = torch.load(dst, weights_only=True)
    assert saved['meta']['partial'] and 'decoder.depth_layer.out2.weight' not in saved['state_dict']
    assert torch.equal(saved['state_dict']['backbone.vit.cls_token'], model.state_dict()['backbone.vit.cls_token'])
