"""The plain-torch sparse conv equals dense conv3d on occupied sites; the MinkUNet built on it keeps mmdet3d's API."""
import pytest
import torch
import torch.nn.functional as F

from panguvision.models.lidar_seg import PortableMinkUNetBackbone, SparseVoxelTensor, TorchSparseConv3d
from panguvision.models.lidar_seg.torch_sparse_conv import hash_coords, lookup_coords, unhash_keys


def _random_sparse(batch=2, size=7, cin=3, density=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    occ = torch.rand(batch, size, size, size, generator=g) < density
    coords = occ.nonzero()
    feats = torch.randn(len(coords), cin, generator=g, dtype=torch.float64)
    dense = torch.zeros(batch, cin, size, size, size, dtype=torch.float64)
    dense[coords[:, 0], :, coords[:, 1], coords[:, 2], coords[:, 3]] = feats
    return coords, feats, dense


def _dense_weight(conv, k):
    # (K^3, Cin, Cout) with offsets ordered x, y, z -> conv3d's (Cout, Cin, K, K, K)
    return conv.weight.view(k, k, k, conv.in_channels, conv.out_channels).permute(4, 3, 0, 1, 2)


def _at(dense, coords):
    return dense[coords[:, 0], :, coords[:, 1], coords[:, 2], coords[:, 3]]


def test_hash_roundtrip_and_lookup():
    coords = torch.tensor([[0, 0, 0, 0], [1, -5, 7, 3], [3, 100, -2, 9]])
    assert torch.equal(unhash_keys(hash_coords(coords)), coords)
    rows = lookup_coords(coords, torch.tensor([[1, -5, 7, 3], [0, 0, 0, 1], [3, 100, -2, 9]]))
    assert rows.tolist() == [1, -1, 2]
    with pytest.raises(ValueError, match='hashable range'):
        hash_coords(torch.tensor([[0, 1 << 20, 0, 0]]))


@pytest.mark.parametrize('kernel,stride,padding', [(3, 1, 1), (5, 1, 2), (2, 2, 0), (3, 2, 1)])
def test_sparse_conv_equals_dense_conv3d(kernel, stride, padding):
    coords, feats, dense = _random_sparse()
    conv = TorchSparseConv3d(3, 4, kernel, stride, padding=padding, bias=True).double()
    out = conv(SparseVoxelTensor(feats, coords))
    ref = F.conv3d(dense, _dense_weight(conv, kernel), conv.bias, stride=stride, padding=padding)
    size = ref.shape[-1]
    inside = ((out.coords[:, 1:] >= 0) & (out.coords[:, 1:] < size)).all(1)
    assert inside.sum() > 10
    torch.testing.assert_close(out.features[inside], _at(ref, out.coords[inside]))
    if stride == 1:  # submanifold: the output sites are exactly the input sites
        assert torch.equal(out.coords, coords)
    else:  # every occupied dense output site is one of ours, and no output of ours is empty in the dense result
        occupied = (dense != 0).any(1, keepdim=True).double()
        ones = torch.ones(1, 1, kernel, kernel, kernel, dtype=torch.float64)
        reached = F.conv3d(occupied, ones, stride=stride, padding=padding)[:, 0] > 0
        assert int(reached.sum()) == int(inside.sum())


@pytest.mark.parametrize('kernel,stride,padding', [(2, 2, 0), (3, 2, 1)])
def test_transposed_conv_equals_dense_conv_transpose3d(kernel, stride, padding):
    coords, feats, _ = _random_sparse(size=8)
    x = SparseVoxelTensor(feats, coords)
    down = TorchSparseConv3d(3, 4, kernel, stride, padding=padding).double()(x)
    up = TorchSparseConv3d(4, 2, kernel, stride, padding=padding, transposed=True).double()
    out = up(down)
    assert torch.equal(out.coords, coords) and out.stride == 1
    coarse = torch.zeros(2, 4, 8, 8, 8, dtype=torch.float64)
    inside = ((down.coords[:, 1:] >= 0) & (down.coords[:, 1:] < 8)).all(1)
    assert bool(inside.all()) or padding > 0
    c = down.coords[inside]
    coarse[c[:, 0], :, c[:, 1], c[:, 2], c[:, 3]] = down.features[inside]
    weight = up.weight.view(kernel, kernel, kernel, 4, 2).permute(3, 4, 0, 1, 2)
    ref = F.conv_transpose3d(coarse, weight, stride=stride, padding=padding)
    if padding == 0:  # every coarse site is inside the dense grid: exact everywhere
        torch.testing.assert_close(out.features, _at(ref, coords))


def test_sparse_conv_gradients_match_dense():
    coords, feats, _ = _random_sparse(size=6)
    feats.requires_grad_(True)
    conv = TorchSparseConv3d(3, 2, 3, 1).double()
    out = conv(SparseVoxelTensor(feats, coords))
    (out.features ** 2).sum().backward()
    grad_sparse, grad_w = feats.grad.clone(), conv.weight.grad.clone()
    assert grad_sparse.abs().sum() > 0 and grad_w.abs().sum() > 0

    feats2 = feats.detach().clone().requires_grad_(True)
    dense = torch.zeros(2, 6, 6, 6, 3, dtype=torch.float64)
    dense = dense.index_put((coords[:, 0], coords[:, 1], coords[:, 2], coords[:, 3]), feats2)
    w = conv.weight.detach().clone().requires_grad_(True)
    ref = F.conv3d(dense.permute(0, 4, 1, 2, 3), w.view(3, 3, 3, 3, 2).permute(4, 3, 0, 1, 2), padding=1)
    (_at(ref, coords) ** 2).sum().backward()
    torch.testing.assert_close(grad_sparse, feats2.grad)
    torch.testing.assert_close(grad_w, w.grad)


def _voxels(n=3000, seed=0):
    g = torch.Generator().manual_seed(seed)
    pts = torch.randn(n, 3, generator=g) * 6
    c = torch.unique(torch.round(pts / 0.5).long(), dim=0)
    c -= c.min(0).values
    coors = torch.cat([torch.zeros(len(c), 1, dtype=torch.long), c], 1)
    return torch.randn(len(c), 4, generator=g), coors.int()


def test_portable_minkunet_torch_backend_forward_backward():
    model = PortableMinkUNetBackbone(in_channels=4, base_channels=8, num_stages=3, encoder_channels=[8, 16, 16],
                                     encoder_blocks=[1, 1, 1], decoder_channels=[16, 16, 12], decoder_blocks=[1, 1, 1])
    feats, coors = _voxels()
    feats.requires_grad_(True)
    out = model(feats, coors)
    assert out.shape == (len(feats), 12)
    out.square().mean().backward()
    assert feats.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in model.named_parameters() if 'weight' in n)
    # (x, y, z, batch) column order gives the same result
    model.eval()
    ref = model(feats.detach(), coors)
    model.batch_first = False
    torch.testing.assert_close(model(feats.detach(), coors[:, [1, 2, 3, 0]]), ref)


def test_portable_minkunet_other_backends_are_mmdet3d():
    from mmdet3d.models.backbones import MinkUNetBackbone

    # 'spconv' builds mmdet3d's layers (spconv 2.x, or mmcv's sparse-conv modules when spconv is absent).
    ours = PortableMinkUNetBackbone(sparseconv_backend='spconv', base_channels=8, encoder_channels=[8, 8, 16, 16],
                                    decoder_channels=[16, 16, 8, 8])
    ref = MinkUNetBackbone(sparseconv_backend='spconv', base_channels=8, encoder_channels=[8, 8, 16, 16],
                           decoder_channels=[16, 16, 8, 8])
    assert ours.state_dict().keys() == ref.state_dict().keys()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in ref.state_dict().items()}
    # the torch backend has the same number of parameters as mmdet3d's spconv MinkUNet (same layers, same shapes)
    torch_backend = PortableMinkUNetBackbone(base_channels=8, encoder_channels=[8, 8, 16, 16],
                                             decoder_channels=[16, 16, 8, 8])
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(torch_backend) == count(ref)
    with pytest.raises(ValueError, match='basic'):
        PortableMinkUNetBackbone(block_type='bottleneck')
