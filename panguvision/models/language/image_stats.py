"""Describe an image from its statistics (the fallback backend's caption): dominant colours, brightness, contrast,
texture and layout.

Hand-written: no installed library names colours or phrases image statistics; the rules are simple and documented.
Colour names come from HSV: pixels with saturation < 0.2 (or value < 0.15) are black / gray / white by value, the
others get one of eight hue names (brown for dark orange-yellow).
"""
from typing import Dict, List, Tuple

import numpy as np

# Hue ranges in degrees [start, end) -> name; red wraps around 0.
_HUES = ((0, 15, 'red'), (15, 40, 'orange'), (40, 70, 'yellow'), (70, 165, 'green'), (165, 200, 'cyan'),
         (200, 260, 'blue'), (260, 300, 'purple'), (300, 345, 'pink'), (345, 361, 'red'))


def rgb_to_hsv(image: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(H, W, 3)`` uint8 RGB -> hue in degrees [0, 360), saturation and value in [0, 1], each ``(H, W)``."""
    rgb = image.astype(np.float32) / 255.0
    maxc, minc = rgb.max(-1), rgb.min(-1)
    delta = maxc - minc
    sat = np.where(maxc > 0, delta / np.maximum(maxc, 1e-8), 0.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    safe = np.maximum(delta, 1e-8)
    hue = np.where(maxc == r, ((g - b) / safe) % 6.0, np.where(maxc == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = np.where(delta > 0, hue * 60.0, 0.0)
    return hue, sat, maxc


def colour_names(image: np.ndarray) -> np.ndarray:
    """``(H, W)`` array of colour names (dtype object) for an ``(H, W, 3)`` uint8 RGB image."""
    hue, sat, val = rgb_to_hsv(image)
    names = np.empty(hue.shape, dtype=object)
    achromatic = (sat < 0.2) | (val < 0.15)
    names[achromatic & (val < 0.25)] = 'black'
    names[achromatic & (val >= 0.25) & (val < 0.8)] = 'gray'
    names[achromatic & (val >= 0.8)] = 'white'
    for start, end, name in _HUES:
        names[~achromatic & (hue >= start) & (hue < end)] = name
    brown = ~achromatic & (hue >= 15) & (hue < 50) & (val < 0.6)
    names[brown] = 'brown'
    return names


def image_statistics(image: np.ndarray, max_side: int = 128) -> Dict:
    """Statistics of an ``(H, W, 3)`` uint8 RGB image (subsampled to at most ``max_side`` pixels per side).

    Returns a dict: ``colours`` [(name, fraction)] sorted by fraction, ``brightness`` (mean luma in [0, 1]),
    ``contrast`` (luma std), ``edge_density`` (fraction of pixels with luma gradient > 0.1), ``top_minus_bottom`` and
    ``left_minus_right`` (mean luma differences of the halves), ``aspect`` (W / H).
    """
    h, w = image.shape[:2]
    step = max(1, int(np.ceil(max(h, w) / max_side)))
    small = image[::step, ::step]
    luma = small.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255.0
    names, counts = np.unique(colour_names(small), return_counts=True)
    order = np.argsort(-counts, kind='stable')
    colours = [(str(names[i]), float(counts[i]) / luma.size) for i in order]
    gy = np.abs(np.diff(luma, axis=0))[:, :-1] if luma.shape[0] > 1 and luma.shape[1] > 1 else np.zeros((1, 1))
    gx = np.abs(np.diff(luma, axis=1))[:-1, :] if luma.shape[0] > 1 and luma.shape[1] > 1 else np.zeros((1, 1))
    sh, sw = luma.shape
    return dict(
        colours=colours,
        brightness=float(luma.mean()),
        contrast=float(luma.std()),
        edge_density=float((np.hypot(gx, gy) > 0.1).mean()),
        top_minus_bottom=float(luma[:sh // 2].mean() - luma[sh - sh // 2:].mean()) if sh > 1 else 0.0,
        left_minus_right=float(luma[:, :sw // 2].mean() - luma[:, sw - sw // 2:].mean()) if sw > 1 else 0.0,
        aspect=w / h,
    )


def describe_statistics(stats: Dict) -> str:
    """One sentence from :func:`image_statistics`, e.g. 'a bright, high-contrast landscape image, mostly blue (45%)
    and white (30%), brighter at the top, with fine detail'."""
    b = stats['brightness']
    brightness = 'dark' if b < 0.25 else 'dim' if b < 0.45 else 'bright' if b > 0.7 else 'moderately lit'
    c = stats['contrast']
    contrast = 'low-contrast' if c < 0.1 else 'high-contrast' if c > 0.25 else 'medium-contrast'
    a = stats['aspect']
    shape = 'landscape' if a > 1.2 else 'portrait' if a < 0.83 else 'square'
    main: List[str] = [f'{name} ({round(100 * frac)}%)' for name, frac in stats['colours'][:3] if frac >= 0.1]
    if not main:
        main = [f'{stats["colours"][0][0]} ({round(100 * stats["colours"][0][1])}%)']
    colours = main[0] if len(main) == 1 else ', '.join(main[:-1]) + ' and ' + main[-1]
    parts = [f'a {brightness}, {contrast} {shape} image, mostly {colours}']
    if abs(stats['top_minus_bottom']) > 0.08:
        parts.append('brighter at the top' if stats['top_minus_bottom'] > 0 else 'brighter at the bottom')
    if abs(stats['left_minus_right']) > 0.08:
        parts.append('brighter on the left' if stats['left_minus_right'] > 0 else 'brighter on the right')
    e = stats['edge_density']
    parts.append('with fine detail' if e > 0.2 else 'with smooth regions' if e < 0.03 else 'with some texture')
    return ', '.join(parts)
