"""Depth-scaled sandwich norm + TinyInit: init values and bounded activation RMS through deep stacks."""
import math

import pytest
import torch
import torch.nn as nn

from panguvision.models.layers.pangu import (PanguDecoderBlock, PanguReferenceLM, init_sandwich_post_norm_, tiny_init_,
                                             tiny_init_std)


def _final_rms(num_layers: int, sandwich: bool, init: str, c: float = 1.0) -> torch.Tensor:
    torch.manual_seed(0)
    model = PanguReferenceLM(vocab_size=64, dim=64, num_layers=num_layers, num_heads=4, ffn_hidden_dim=128,
                             sandwich_norm=sandwich, tiny_init=init == 'tiny', post_norm_c=c)
    if init == 'torch':  # PyTorch's default (Kaiming-uniform) Linear init
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.reset_parameters()
    return model.residual_rms(torch.randint(0, 64, (2, 16), generator=torch.Generator().manual_seed(1)))


def test_init_functions_set_the_documented_values():
    norm = init_sandwich_post_norm_(nn.RMSNorm(8), num_layers=16, c=2.0)
    assert torch.allclose(norm.weight, torch.full((8, ), 0.5))
    block = tiny_init_(nn.Sequential(nn.Linear(256, 256), nn.Embedding(1000, 256)), d_model=256, num_layers=32)
    std = tiny_init_std(256, 32)
    assert std == pytest.approx(math.sqrt(1 / (2 * 256 * 32)))
    for w in (block[0].weight, block[1].weight):
        assert float(w.detach().std()) == pytest.approx(std, rel=0.02)
    assert float(block[0].bias.detach().abs().max()) == 0
    with pytest.raises(ValueError, match='weight'):
        init_sandwich_post_norm_(nn.RMSNorm(8, elementwise_affine=False), 4)


def test_block_has_protocol_norms_with_depth_scaled_gains():
    block = PanguDecoderBlock(dim=32, num_heads=4, num_layers=25, post_norm_c=1.5)
    for name in ('norm1', 'norm2', 'post_norm1', 'post_norm2'):
        assert isinstance(getattr(block, name), nn.RMSNorm)
    assert torch.allclose(block.post_norm2.weight, torch.full((32, ), 0.3))
    assert torch.allclose(block.norm1.weight, torch.ones(32))
    plain = PanguDecoderBlock(dim=32, num_heads=4, sandwich_norm=False)
    assert not hasattr(plain, 'post_norm1')


@pytest.mark.parametrize('c', [1.0, 2.0])
def test_dssn_rms_is_bounded_by_c_at_any_depth_while_pre_norm_grows(c):
    dssn16, dssn64 = _final_rms(16, True, 'tiny', c), _final_rms(64, True, 'tiny', c)
    # Every layer adds an RMS of c / sqrt(L): the stream stays within a small multiple of c at every depth ...
    assert float(dssn64.max()) < 1.5 * c and float(dssn16.max()) < 1.5 * c
    # ... and its final scale does not grow with the number of layers.
    assert float(dssn64[-1] / dssn16[-1]) < 1.2
    for init in ('torch', 'normal'):
        pre16, pre64 = _final_rms(16, False, init), _final_rms(64, False, init)
        # A plain pre-norm stack accumulates unnormalised branches: ~sqrt(L) growth (sqrt(4) = 2 here).
        assert float(pre64[-1] / pre16[-1]) > 1.6, init
        assert float(pre64[-1] / pre64[16]) > 1.5, init
