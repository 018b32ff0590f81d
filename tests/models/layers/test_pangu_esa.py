"""ESA (efficient selective attention) core: exactness with everything selected, cost and accuracy with small k."""
import pytest
import torch
import torch.nn.functional as F

from panguvision.models.layers.pangu import ESAttentionCore, PanguReferenceLM, SDPAttentionCore


def _full(q, k, v):
    lq, lk = q.shape[2], k.shape[2]
    mask = torch.arange(lk)[None] <= torch.arange(lk - lq, lk)[:, None]
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


@pytest.mark.parametrize('lq', [200, 37, 1])
def test_all_tokens_selected_with_identity_compression_equals_full_attention(lq):
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, lq, 8), torch.randn(2, 3, 200, 8), torch.randn(2, 3, 200, 8)
    q = torch.cat([torch.randn(2, 3, 200 - lq, 8), q], dim=2)[:, :, -lq:]
    # top_k below the middle length so the selection path (gather + mask) runs, but all middle tokens still chosen
    # once the middle shrinks to top_k; then with top_k >= length everything is selected.
    core = ESAttentionCore(top_k=200, num_initial=2, num_local=8, chunk_size=16, compression='identity')
    torch.testing.assert_close(core(q, k, v), _full(q, k, v), rtol=1e-5, atol=1e-5)
    assert core.last_stats['attended_keys'] == core.last_stats['full_keys']


def test_selection_path_with_every_middle_token_is_exact():
    """top_k equal to the largest middle span: the gather/mask path runs and still covers every key."""
    torch.manual_seed(1)
    q, k, v = torch.randn(1, 2, 96, 8), torch.randn(1, 2, 96, 8), torch.randn(1, 2, 96, 8)
    core = ESAttentionCore(top_k=10, num_initial=2, num_local=8, chunk_size=8, compression='identity', pool_kernel=1)
    out = core(q, k, v)
    assert core.last_stats['attended_keys'] < core.last_stats['full_keys']  # later chunks select 10 of >10
    core_all = ESAttentionCore(top_k=96, num_initial=2, num_local=8, chunk_size=8, compression='identity')
    torch.testing.assert_close(core_all(q, k, v), _full(q, k, v), rtol=1e-5, atol=1e-5)
    assert out.shape == q.shape


def test_small_k_cuts_attended_keys_as_expected_and_stays_close_with_few_important_tokens():
    torch.manual_seed(0)
    b, h, n, d = 1, 4, 1024, 16
    k = torch.randn(b, h, n, d) * 0.3
    v = torch.randn(b, h, n, d)
    important = torch.tensor([100, 300, 301, 650])
    direction = F.normalize(torch.randn(h, d), dim=-1)
    k[0, :, important] = direction[:, None] * 12.0
    q = direction[None, :, None] * 3.0 + torch.randn(b, h, 64, d) * 0.3  # 64 decoding-like queries at the end
    init, local, top_k, chunk = 4, 32, 16, 16
    core = ESAttentionCore(top_k=top_k, num_initial=init, num_local=local, chunk_size=chunk, compress_dim=16)
    out = core(q, k, v)
    full = _full(q, k, v)
    # Expected attended pairs: per query init + top_k + local + its offset inside the chunk + 1.
    expected = 64 * (init + top_k + local) + (64 // chunk) * chunk * (chunk + 1) // 2
    assert core.last_stats['attended_keys'] == expected
    assert core.last_stats['full_keys'] == 64 * (n - 64) + 64 * 65 // 2
    assert expected < 0.1 * core.last_stats['full_keys']
    err = (out - full).norm() / full.norm()
    # Attending initial + local only (no selection) misses the important tokens.
    no_select = ESAttentionCore(top_k=1, num_initial=init, num_local=local, chunk_size=chunk, compress_dim=16)
    no_select.select = lambda qc, kc, scale: torch.zeros(qc.shape[0], 1, dtype=torch.long)  # only token n_init
    err_local = (no_select(q, k, v) - full).norm() / full.norm()
    assert set(important.tolist()) <= set(core.last_stats['last_selected'][0].tolist())
    assert err < 0.08, float(err)  # what is left is the mass of the ~1000 unselected random keys
    assert err_local > 5 * err


def test_pca_compression_calibrates_and_round_trips_state_dict():
    torch.manual_seed(0)
    q, k, v = torch.randn(1, 2, 300, 8), torch.randn(1, 2, 300, 8), torch.randn(1, 2, 300, 8)
    core = ESAttentionCore(top_k=32, num_local=16, compress_dim=4, compression='pca')
    core.calibrate(q, k)
    assert core.proj.shape == (16, 4)
    torch.testing.assert_close(core.proj.T @ core.proj, torch.eye(4), atol=1e-5, rtol=0)
    fresh = ESAttentionCore(top_k=32, num_local=16, compress_dim=4, compression='pca')
    fresh.load_state_dict(core.state_dict())
    torch.testing.assert_close(fresh(q, k, v), core(q, k, v))
    with pytest.raises(RuntimeError, match='pca'):
        ESAttentionCore(compression='fixed').calibrate(q, k)


def test_grouped_kv_and_sdpa_core_offsets():
    torch.manual_seed(0)
    q, k, v = torch.randn(1, 4, 5, 8), torch.randn(1, 2, 20, 8), torch.randn(1, 2, 20, 8)
    ref = _full(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1))
    torch.testing.assert_close(SDPAttentionCore()(q, k, v), ref)
    torch.testing.assert_close(ESAttentionCore(top_k=16, num_local=4)(q, k, v), ref)  # short: full attention
    with pytest.raises(ValueError, match='more queries'):
        SDPAttentionCore()(torch.randn(1, 4, 30, 8), k, v)


def test_esa_core_plugs_into_the_reference_lm_by_config():
    torch.manual_seed(0)
    cfg = dict(vocab_size=64, dim=32, num_layers=2, num_heads=4, num_kv_heads=2)
    full = PanguReferenceLM(**cfg)
    esa = PanguReferenceLM(**cfg, attn_core=dict(type='ESAttentionCore', top_k=512, num_local=8, chunk_size=8))
    esa.load_state_dict(full.state_dict())
    ids = torch.randint(0, 64, (1, 96))
    torch.testing.assert_close(esa(ids), full(ids), rtol=1e-4, atol=1e-5)
    assert isinstance(esa.blocks[0].attn.core, ESAttentionCore)


def test_incremental_mode_matches_stateless_decoding_and_resets_per_sequence():
    torch.manual_seed(0)
    k, v = torch.randn(1, 2, 120, 8), torch.randn(1, 2, 120, 8)
    q = torch.randn(1, 2, 120, 8)
    kw = dict(top_k=8, num_initial=2, num_local=8, compress_dim=4)
    stateless, inc = ESAttentionCore(**kw), ESAttentionCore(**kw, incremental=True)
    inc(q[:, :, :60], k[:, :, :60], v[:, :, :60])  # prefill
    for t in range(60, 120):
        step = (q[:, :, t:t + 1], k[:, :, :t + 1], v[:, :, :t + 1])
        torch.testing.assert_close(inc(*step), stateless(*step))
    assert inc._key_cache.shape == (1, 120, 4)
    inc(q[:, :, :30], k[:, :, :30], v[:, :, :30])  # shorter: a new sequence, recompressed
    assert inc._key_cache.shape == (1, 30, 4)
    cfg = dict(vocab_size=32, dim=16, num_layers=2, num_heads=2)
    lm_inc = PanguReferenceLM(**cfg, attn_core=dict(type='ESAttentionCore', incremental=True, **kw))
    lm = PanguReferenceLM(**cfg, attn_core=dict(type='ESAttentionCore', **kw))
    lm.load_state_dict(lm_inc.state_dict())
    prompt = torch.randint(0, 32, (1, 40))
    assert torch.equal(lm_inc.generate(prompt, 30), lm.generate(prompt, 30))
    assert torch.equal(lm_inc.generate(prompt[:, :35], 5), lm.generate(prompt[:, :35], 5))  # reset between calls
