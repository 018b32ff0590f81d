"""IGTR model: losses, reasoning prefix from pixels, prediction fields, generation with the language adapter."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

from panguvision.datasets.synthetic_shapes import SHAPE_COLORS, draw_shape
from panguvision.models.generation import ReasoningTokenizer
from panguvision.registry import MODELS

REPO = Path(__file__).resolve().parents[3]


def build(**overrides):
    init_default_scope('panguvision')
    cfg = Config.fromfile(str(REPO / 'tests' / 'configs' / 'tiny_igtr.py'))
    cfg.merge_from_dict({f'model.{k}': v for k, v in overrides.items()})
    cfg = cfg.model
    torch.manual_seed(0)
    return MODELS.build(cfg)


def scene_batch():
    imgs = [draw_shape(24, 'circle', SHAPE_COLORS['red'], SHAPE_COLORS['black'], 4, 4, 3),
            draw_shape(24, 'square', SHAPE_COLORS['blue'], SHAPE_COLORS['white'], 18, 12, 5)]
    inputs = torch.stack([torch.from_numpy(i).permute(2, 0, 1).float() / 255 for i in imgs])
    samples = [BaseDataElement(metainfo=dict(gt_label=0, class_name='circle',
                                             prompt='a small red circle at top left on a black background')),
               BaseDataElement(metainfo=dict(gt_label=1, class_name='square'))]
    return inputs, samples


def test_reasoning_tokenizer_round_trip():
    tok = ReasoningTokenizer()
    words = tok.parse('A BIG grey square in the centre on a Magenta background')
    assert words == dict(size='large', fg_color='gray', vertical='middle', horizontal='center', bg_color='magenta')
    ids = tok.encode(words)
    assert tok.decode(ids.tolist()) == words and tok.allowed_mask()[torch.arange(5), ids].all()
    assert tok.parse('top center') == dict(vertical='top', horizontal='center')
    assert tok.encode({'size': 'small'}).tolist() == [-1, -1, -1, -1, tok.vocab.index('size:small')]
    with pytest.raises(KeyError, match='not a word of slot'):
        tok.encode({'size': 'red'})
    assert tok.to_text(words, 'square') == 'a large gray square at middle center on a magenta background'


def test_prefix_comes_from_pixels_and_losses_backpropagate():
    model = build()
    inputs, samples = scene_batch()
    words = [model.reasoning.decode(p.tolist()) for p in model.image_prefix(inputs)]
    assert words[0] == dict(fg_color='red', bg_color='black', vertical='top', horizontal='left', size='small')
    assert words[1] == dict(fg_color='blue', bg_color='white', vertical='bottom', horizontal='center', size='large')
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_ce', 'loss_prefix'}
    sum(losses.values()).backward()
    assert model.transformer.head.weight.grad.abs().sum() > 0
    assert model.transformer.prefix_head.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.tokenizer.parameters())  # frozen tokenizer

    plain = build(use_reasoning_prefix=False)
    assert set(plain.loss(inputs, samples)) == {'loss_ce'}
    assert plain.transformer.num_prefix_slots == 0 and model.transformer.num_prefix_slots == 5
    assert torch.equal(plain.transformer.image_token_positions(), model.transformer.image_token_positions())
    with pytest.raises(ValueError, match='expects'):
        model.loss(torch.rand(1, 3, 16, 16), samples[:1])


def test_predict_fields_and_generation_follow_the_request():
    model = build().eval()
    inputs, samples = scene_batch()
    out = model.predict(inputs, samples)
    assert out[0].pred_img.shape == (3, 24, 24) and 0 <= float(out[0].pred_img.min())
    assert out[0].token_nll > 0 and out[0].prefix_nll > 0 and out[0].num_tokens == 36
    assert out[0].metainfo['request'] == dict(fg_color='red', bg_color='black', vertical='top', horizontal='left',
                                              size='small')
    assert out[1].metainfo['request'] == {}  # a bare class name states no slot
    # the requested words are forced into the prefix; open slots are sampled words of the right slot
    assert out[0].reasoning_text == 'a small red circle at top left on a black background'
    assert len(model.reasoning.parse(out[1].reasoning_text)) == 5
    images, texts, raw = model.generate(['square', 2], ['a large cyan square', None], seed=1, return_tokens=True)
    assert images.shape == (2, 3, 24, 24) and raw['tokens'].shape == (2, 36)
    assert model.reasoning.parse(texts[0])['fg_color'] == 'cyan' and model.reasoning.parse(texts[0])['size'] == 'large'
    again, _ = model.generate(['square', 2], ['a large cyan square', None], seed=1)
    assert torch.equal(images, again)  # seeded
    fast, _ = model.generate(['square', 2], ['a large cyan square', None], seed=1, use_kv_cache=False)
    assert torch.allclose(images, fast, atol=1e-5)
    with pytest.raises(KeyError, match='unknown class'):
        model.generate(['hexagon'])
    with pytest.raises(KeyError, match='unknown sampling options'):
        model.generate([0], cfg=2.0)
    batch = model.benchmark_batch(2, (8, 8), torch.Generator().manual_seed(0))
    assert len(model.test_step(batch)) == 2


def test_language_adapter_expansion_and_text_conditioning():
    pytest.importorskip('panguvision.models.language', reason='the language adapter package is absent')
    model = build(use_language_adapter=True)
    text = model.reasoning_text('circle')
    assert text.startswith('circle. ') and len(text) > len('circle. ')  # the adapter's answer follows the request
    init_default_scope('panguvision')
    dim = model.adapter().embed(['circle']).shape[1]
    text_model = build(transformer=dict(text_dim=dim))
    assert text_model.transformer.cond_type == 'text'
    inputs, samples = scene_batch()
    assert set(text_model.loss(inputs, samples)) == {'loss_ce', 'loss_prefix'}
    images, _ = text_model.generate([0], ['a small red circle'])
    assert images.shape == (1, 3, 24, 24)
