"""Tiled inference for image-to-image networks whose output is ``scale`` times larger than the input."""
from typing import Callable, List

import torch


def _tile_starts(length: int, tile: int, stride: int) -> List[int]:
    """Start offsets that cover ``[0, length)`` with tiles of size ``tile`` (the last one flush with the end)."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return starts


@torch.no_grad()
def tiled_forward(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, scale: int, tile_size: int,
                  tile_overlap: int) -> torch.Tensor:
    """Run ``fn`` over overlapping tiles of ``x`` and stitch the outputs without seams.

    Each tile is processed with ``tile_overlap`` pixels of context on every inner side; only the central part of
    each tile's output is kept (the halves of the overlap are split between the neighbours), so the stitched image
    has no visible seam and equals whole-image inference exactly whenever the network's receptive field radius is at
    most ``tile_overlap // 2`` LR pixels. Memory is bounded by one tile at a time.

    Args:
        fn: network, ``Tensor(N, C, h, w) -> Tensor(N, C', h*scale, w*scale)``.
        x: input batch ``(N, C, H, W)``.
        scale: the network's upscaling factor.
        tile_size: tile side in input pixels (the core without the overlap).
        tile_overlap: overlap between neighbouring tiles in input pixels (even; split evenly between them).

    Returns:
        ``Tensor(N, C', H*scale, W*scale)``.
    """
    if tile_size <= 0 or tile_overlap < 0:
        raise ValueError(f'tile_size must be > 0 and tile_overlap >= 0, got {tile_size}, {tile_overlap}')
    n, _, h, w = x.shape
    window = tile_size + tile_overlap
    if h <= window and w <= window:
        return fn(x)
    half = tile_overlap // 2
    out = None
    for top in _tile_starts(h, window, tile_size):
        for left in _tile_starts(w, window, tile_size):
            bottom, right = min(top + window, h), min(left + window, w)
            tile_out = fn(x[:, :, top:bottom, left:right])
            if out is None:
                out = x.new_zeros(n, tile_out.shape[1], h * scale, w * scale)
            # Keep the tile's centre: drop ``half`` context pixels on every side that touches another tile.
            keep_top = top + (half if top > 0 else 0)
            keep_left = left + (half if left > 0 else 0)
            keep_bottom = bottom - (half if bottom < h else 0)
            keep_right = right - (half if right < w else 0)
            out[:, :, keep_top * scale:keep_bottom * scale, keep_left * scale:keep_right * scale] = tile_out[
                :, :, (keep_top - top) * scale:(keep_bottom - top) * scale,
                (keep_left - left) * scale:(keep_right - left) * scale]
    return out
