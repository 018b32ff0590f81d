"""The reference Llama-style LM: GPT protocol, KV cache, learning, registry construction."""
import pytest
import torch
import torch.nn as nn

from panguvision.models.layers.pangu import PanguReferenceLM, PanguSwiGLU, SDPAttentionCore
from panguvision.registry import MODELS


def test_follows_the_gpt_protocol():
    lm = MODELS.build(dict(type='PanguReferenceLM', vocab_size=32, dim=32, num_layers=2, num_heads=4, num_kv_heads=2))
    assert isinstance(lm.blocks, nn.ModuleList)
    block = lm.blocks[0]
    for name in ('q_proj', 'k_proj', 'v_proj', 'o_proj'):
        lin = getattr(block.attn, name)
        assert isinstance(lin, nn.Linear) and lin.bias is None
    assert (block.attn.num_heads, block.attn.num_kv_heads, block.attn.head_dim) == (4, 2, 8)
    assert isinstance(block.attn.core, SDPAttentionCore) and isinstance(block.ffn, PanguSwiGLU)
    assert block.ffn.w1.weight.shape == (128, 32) and block.ffn.w2.weight.shape == (32, 128)
    for name in ('norm1', 'norm2', 'post_norm1', 'post_norm2'):
        assert getattr(block, name).weight.shape == (32, )


def test_kv_cache_continuation_equals_full_forward_and_core_sees_last_queries():
    torch.manual_seed(0)
    lm = PanguReferenceLM(vocab_size=32, dim=32, num_layers=2, num_heads=4, num_kv_heads=2)
    ids = torch.randint(0, 32, (2, 20))
    seen = []
    lm.blocks[0].attn.core.register_forward_hook(lambda m, args, out: seen.append((args[0].shape, args[1].shape)))
    full = lm(ids)
    _, cache = lm(ids[:, :13], return_cache=True)
    torch.testing.assert_close(lm(ids[:, 13:], cache=cache), full[:, 13:], rtol=1e-5, atol=1e-5)
    assert seen[-1] == ((2, 4, 7, 8), (2, 4, 20, 8))  # q (B, H, Lq, Dh), k (B, H, Lk, Dh) with Lq < Lk


def test_learns_a_repeated_sequence_and_generates_it():
    torch.manual_seed(0)
    lm = PanguReferenceLM(vocab_size=16, dim=32, num_layers=2, num_heads=2, ffn_hidden_dim=64)
    pattern = torch.tensor([[3, 1, 4, 1, 5, 9, 2, 6] * 4])
    opt = torch.optim.AdamW(lm.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        loss = lm.loss(pattern)['loss_lm']
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.2 * first
    out = lm.generate(pattern[:, :8], max_new_tokens=8)
    assert out[0, 8:].tolist() == pattern[0, :8].tolist()


def test_bad_ids_are_rejected_with_a_clear_error():
    lm = PanguReferenceLM(vocab_size=16, dim=16, num_layers=1, num_heads=2)
    with pytest.raises(ValueError, match='token ids'):
        lm(torch.rand(2, 5))
