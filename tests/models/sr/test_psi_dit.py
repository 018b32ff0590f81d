"""EAM's Psi-DiT over a tiny random diffusers SD3 transformer."""
import pytest
import torch

pytest.importorskip('diffusers', reason='Psi-DiT wraps diffusers.SD3Transformer2DModel')

from panguvision.models.sr.eam import PsiDiT, tiny_sd3_config  # noqa: E402


def _inputs(seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(hidden_states=torch.randn(2, 4, 16, 16, generator=g), lr_latent=torch.randn(2, 4, 16, 16, generator=g),
                encoder_hidden_states=torch.randn(2, 5, 32, generator=g),
                pooled_projections=torch.randn(2, 24, generator=g), timestep=torch.tensor([10.0, 700.0]))


def _base_out(model, inputs):
    kwargs = {k: v for k, v in inputs.items() if k != 'lr_latent'}
    return model.base(**kwargs).sample


@pytest.fixture(scope='module', params=[None, 'rms_norm'], ids=['sd3', 'sd3_qk_norm'])
def model(request):
    torch.manual_seed(0)
    return PsiDiT(dict(tiny_sd3_config(), qk_norm=request.param)).eval()


def test_at_init_equals_the_base_model_exactly(model):
    inputs = _inputs()
    with torch.no_grad():
        out = model(**inputs)
        assert out.shape == (2, 4, 16, 16)
        assert torch.equal(out, _base_out(model, inputs))
        # The LR latent has no effect yet.
        assert torch.equal(model(**dict(inputs, lr_latent=torch.zeros(2, 4, 16, 16))), out)


def test_lr_stream_is_a_copy_of_the_noisy_stream_and_merges_are_zero(model):
    for block, stream in zip(model.base.transformer_blocks, model.lr_streams):
        pairs = [(block.norm1, stream.norm1), (block.attn.to_q, stream.to_q), (block.attn.to_k, stream.to_k),
                 (block.attn.to_v, stream.to_v), (block.attn.to_out[0], stream.to_out), (block.ff, stream.ff)]
        if block.attn.norm_q is not None:
            pairs.append((block.attn.norm_q, stream.norm_q))
        for ours, theirs in pairs:
            for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
                assert torch.equal(a, b), name
            assert all(p.data_ptr() != q.data_ptr() for p, q in zip(ours.parameters(), theirs.parameters()))
        assert not stream.merge.weight.any() and not stream.merge.bias.any()


def test_base_is_frozen_and_only_the_new_streams_train(model):
    assert not any(p.requires_grad for p in model.base.parameters())
    trainable = {id(p) for p in model.trainable_parameters()}
    expected = {id(p) for p in [*model.lr_streams.parameters(), *model.lr_pos_embed.parameters()]}
    assert trainable == expected and trainable


def test_gradients_reach_the_merge_layers_first():
    torch.manual_seed(1)
    model = PsiDiT(tiny_sd3_config())
    model(**_inputs(1)).square().mean().backward()
    assert all(p.grad is None for p in model.base.parameters())
    assert any(stream.merge.weight.grad.abs().sum() > 0 for stream in model.lr_streams)


def test_once_merged_the_lr_latent_steers_the_output():
    torch.manual_seed(2)
    model = PsiDiT(tiny_sd3_config()).eval()
    for stream in model.lr_streams:
        torch.nn.init.normal_(stream.merge.weight, std=0.1)
    inputs = _inputs(2)
    with torch.no_grad():
        out = model(**inputs)
        assert not torch.allclose(out, _base_out(model, inputs))
        assert not torch.allclose(model(**dict(inputs, lr_latent=torch.zeros(2, 4, 16, 16))), out)


def test_lr_latent_shape_is_checked(model):
    with pytest.raises(ValueError, match='noisy latent'):
        model(**dict(_inputs(), lr_latent=torch.zeros(2, 4, 8, 8)))
