"""DSPO loss: masked errors by hand, log 2 and zero gradient when winner = loser, gradient prefers the winner."""
import math

import pytest
import torch

from panguvision.models.sr.dspo import area_weights, dspo_loss, masked_denoising_errors, masks_to_latent


def test_masked_errors_by_hand():
    pred = torch.zeros(2, 1, 2, 2)
    target = torch.tensor([[[[1.0, 2.0], [0.0, 0.0]]], [[[0.0, 0.0], [3.0, 0.0]]]])
    masks = torch.tensor([[[1.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]]])  # top row, bottom row
    errors = masked_denoising_errors(pred, target, masks)
    torch.testing.assert_close(errors, torch.tensor([[2.5, 0.0], [0.0, 4.5]]))


def test_area_weights_and_latent_masks():
    masks = torch.zeros(2, 8, 8, dtype=torch.bool)
    masks[0, :4, :4] = True  # 16 px
    masks[1, :, :] = True  # 64 px
    torch.testing.assert_close(area_weights(masks), torch.tensor([0.2, 0.8]))
    small = masks_to_latent(masks, (2, 2))
    torch.testing.assert_close(small[0], torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match='empty'):
        area_weights(torch.zeros(1, 4, 4))


def test_same_winner_and_loser_gives_log2_and_no_gradient():
    errors = torch.rand(3, 4, requires_grad=True)
    ref = torch.rand(3, 4)
    idx = torch.tensor([0, 1, 2, 0])
    loss = dspo_loss(errors, ref, idx, idx, beta=100.0)
    assert loss.item() == pytest.approx(math.log(2))
    loss.backward()
    assert torch.count_nonzero(errors.grad) == 0


def test_gradient_prefers_the_winner():
    """A tiny denoiser trained with the DSPO loss lowers its error on the preferred candidate relative to the
    rejected one (measured against the frozen reference), instance by instance."""
    torch.manual_seed(0)
    denoiser = torch.nn.Conv2d(4, 4, 3, padding=1)
    reference = torch.nn.Conv2d(4, 4, 3, padding=1)
    reference.load_state_dict(denoiser.state_dict())
    noisy = torch.randn(2, 4, 8, 8)  # two candidates' noisy latents
    target = torch.randn(2, 4, 8, 8)
    masks = torch.zeros(2, 8, 8)
    masks[0, :, :4], masks[1, :, 4:] = 1, 1
    winners, losers = torch.tensor([0, 1]), torch.tensor([1, 0])  # each instance prefers another candidate
    optim = torch.optim.SGD(denoiser.parameters(), lr=1e-2)

    def margins():
        with torch.no_grad():
            diff = masked_denoising_errors(denoiser(noisy), target, masks) - masked_denoising_errors(
                reference(noisy), target, masks)
        return diff[winners, torch.arange(2)] - diff[losers, torch.arange(2)]

    assert torch.allclose(margins(), torch.zeros(2))
    for _ in range(20):
        with torch.no_grad():
            ref_errors = masked_denoising_errors(reference(noisy), target, masks)
        loss = dspo_loss(masked_denoising_errors(denoiser(noisy), target, masks), ref_errors, winners, losers,
                         area_weights(masks), beta=10.0)
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert (margins() < 0).all()  # winners' relative error fell below the losers'
    assert loss.item() < math.log(2)


def test_shape_errors():
    with pytest.raises(ValueError, match=r'\(N, M\)'):
        dspo_loss(torch.rand(3), torch.rand(3), torch.tensor([0]), torch.tensor([0]))
    with pytest.raises(ValueError, match='winners/losers'):
        dspo_loss(torch.rand(2, 3), torch.rand(2, 3), torch.tensor([0]), torch.tensor([0]))
