"""IGTR reasoning prompts: the words of the reasoning prefix, their tokenizer, and the pixel statistics they state.

A reasoning prefix states global distribution information about the image before its tokens are generated: the
dominant (subject) colour, the background colour, where the subject sits (vertical and horizontal third) and its
size. At training time the words come from the training image's own statistics (:class:`ImageLayoutDescriber`); at
sampling time from the requested condition, expanded by the language adapter, with any slot left open sampled by
the transformer itself (it is trained to predict the prefix words too).

The same deterministic pixel analysis measures prompt consistency of generated images
(``panguvision.evaluation.metrics.GenerationMetric`` builds it through ``TASK_UTILS``).
"""
import re
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from panguvision.registry import TASK_UTILS

__all__ = ['DEFAULT_COLORS', 'ReasoningTokenizer', 'ImageLayoutDescriber']

#: Named colours (RGB) of the reasoning vocabulary; the synthetic shapes are drawn in exactly these.
DEFAULT_COLORS: Mapping[str, Tuple[int, int, int]] = OrderedDict(
    black=(0, 0, 0), white=(255, 255, 255), gray=(128, 128, 128), red=(220, 30, 30), green=(30, 170, 40),
    blue=(30, 70, 220), yellow=(240, 220, 40), cyan=(40, 210, 220), magenta=(210, 50, 200), orange=(245, 140, 20))
VERTICAL = ('top', 'middle', 'bottom')
HORIZONTAL = ('left', 'center', 'right')
SIZES = ('small', 'large')
_SYNONYMS = {'grey': 'gray', 'centre': 'center', 'upper': 'top', 'lower': 'bottom', 'big': 'large', 'tiny': 'small',
             'purple': 'magenta', 'violet': 'magenta', 'pink': 'magenta'}


@TASK_UTILS.register_module()
class ReasoningTokenizer:
    """A fixed-vocabulary tokenizer of reasoning words, one token per slot.

    Slots (in sequence order): ``fg_color``, ``bg_color``, ``vertical``, ``horizontal``, ``size``. Every slot has its
    own id range, so an id names both slot and word; id 0 is the null word of the unconditional (CFG) branch.

    Args:
        colors: colour names of the two colour slots.
    """

    def __init__(self, colors: Sequence[str] = tuple(DEFAULT_COLORS)):
        self.slots: 'OrderedDict[str, Tuple[str, ...]]' = OrderedDict(
            fg_color=tuple(colors), bg_color=tuple(colors), vertical=VERTICAL, horizontal=HORIZONTAL, size=SIZES)
        self.vocab: List[str] = ['<null>'] + [f'{slot}:{word}' for slot, words in self.slots.items() for word in words]
        self._ids = {token: i for i, token in enumerate(self.vocab)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def num_slots(self) -> int:
        return len(self.slots)

    def allowed_mask(self) -> torch.Tensor:
        """``(K, vocab_size)`` bool: the ids each slot may take."""
        mask = torch.zeros(self.num_slots, self.vocab_size, dtype=torch.bool)
        for k, (slot, words) in enumerate(self.slots.items()):
            for word in words:
                mask[k, self._ids[f'{slot}:{word}']] = True
        return mask

    def encode(self, words: Mapping[str, Optional[str]]) -> torch.Tensor:
        """``{slot: word}`` -> ``(K,)`` long ids; a missing or ``None`` slot is ``-1`` (to be sampled)."""
        ids = []
        for slot, allowed in self.slots.items():
            word = words.get(slot)
            if word is None:
                ids.append(-1)
                continue
            if word not in allowed:
                raise KeyError(f'ReasoningTokenizer: {word!r} is not a word of slot {slot!r} (expected one of '
                               f'{allowed})')
            ids.append(self._ids[f'{slot}:{word}'])
        return torch.tensor(ids, dtype=torch.long)

    def decode(self, ids: Sequence[int]) -> Dict[str, Optional[str]]:
        """``(K,)`` ids -> ``{slot: word}`` (``None`` for null / unset)."""
        out = {}
        for slot, i in zip(self.slots, [int(i) for i in ids]):
            token = self.vocab[i] if 0 < i < self.vocab_size else None
            if token is not None and not token.startswith(f'{slot}:'):
                raise ValueError(f'id {i} ({token}) does not belong to slot {slot!r}')
            out[slot] = token.split(':', 1)[1] if token else None
        return out

    def parse(self, text: str) -> Dict[str, str]:
        """Read the slot words stated in free text (the first mention of a slot wins).

        A colour followed within three words by "background" is the background colour, any other colour the subject
        colour; "top/bottom" and "left/right" set the thirds, and "middle"/"center" the one of them left unset.
        """
        words = [_SYNONYMS.get(w, w) for w in re.findall(r'[a-z]+', text.lower())]
        found: Dict[str, str] = {}
        centred = False
        colors = self.slots['fg_color']
        for i, word in enumerate(words):
            if word in colors:
                slot = 'bg_color' if 'background' in words[i + 1:i + 4] else 'fg_color'
                found.setdefault(slot, word)
            elif word in ('top', 'bottom'):
                found.setdefault('vertical', word)
            elif word in ('left', 'right'):
                found.setdefault('horizontal', word)
            elif word in ('middle', 'center'):
                centred = True
            elif word in SIZES:
                found.setdefault('size', word)
        if centred:
            found.setdefault('vertical', 'middle')
            found.setdefault('horizontal', 'center')
        return found

    @staticmethod
    def to_text(words: Mapping[str, Optional[str]], subject: str = 'object') -> str:
        """Canonical sentence of ``{slot: word}``: "a small red circle at top left on a black background"."""
        parts = ['a'] + [w for w in (words.get('size'), words.get('fg_color')) if w] + [subject]
        if words.get('vertical') or words.get('horizontal'):
            parts += ['at'] + [w for w in (words.get('vertical'), words.get('horizontal')) if w]
        if words.get('bg_color'):
            parts += ['on', 'a', words['bg_color'], 'background']
        return ' '.join(parts)


@TASK_UTILS.register_module()
class ImageLayoutDescriber:
    """Deterministic global statistics of an RGB image in reasoning words.

    The background colour is the per-channel median of a border of ``border`` pixels; the subject is the largest
    4-connected region of pixels farther than ``fg_threshold`` (RGB Euclidean) from it. Colours are named by the
    nearest entry of ``colors``; the subject's position is the third of the image holding its bounding-box centre,
    its size ``large`` when the longer bounding-box side exceeds ``large_fraction`` of the image side. An image
    without subject pixels is described as a small subject of the background colour in the middle.

    Args:
        colors: ``{name: (r, g, b)}`` palette.
        fg_threshold: RGB distance separating subject from background.
        large_fraction: size threshold (fraction of the longer image side).
        border: border width in pixels (default: ``max(1, H // 16)``).
    """

    def __init__(self, colors: Optional[Mapping[str, Sequence[int]]] = None, fg_threshold: float = 80.0,
                 large_fraction: float = 0.45, border: Optional[int] = None):
        colors = colors or DEFAULT_COLORS
        self.names = list(colors)
        self.rgb = np.asarray([colors[n] for n in self.names], dtype=np.float64)
        self.fg_threshold, self.large_fraction, self.border = fg_threshold, large_fraction, border

    def name_color(self, rgb: Sequence[float]) -> str:
        """Nearest palette name of one RGB colour."""
        return self.names[int(np.argmin(((self.rgb - np.asarray(rgb, dtype=np.float64))**2).sum(1)))]

    @staticmethod
    def _check(img: np.ndarray) -> np.ndarray:
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'expected an (H, W, 3) RGB image array, got {getattr(img, "shape", type(img))}')
        return img.astype(np.float64)

    def subject_mask(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``(mask (H, W) bool of the subject region, background RGB (3,))`` of an (H, W, 3) image."""
        import cv2
        img = self._check(img)
        h, w = img.shape[:2]
        b = self.border or max(1, h // 16)
        ring = np.concatenate([img[:b].reshape(-1, 3), img[-b:].reshape(-1, 3), img[:, :b].reshape(-1, 3),
                               img[:, -b:].reshape(-1, 3)])
        bg = np.median(ring, axis=0)
        far = (np.sqrt(((img - bg)**2).sum(-1)) > self.fg_threshold).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(far, connectivity=4)
        if count <= 1:
            return np.zeros((h, w), dtype=bool), bg
        largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        return labels == largest, bg

    def describe(self, img: np.ndarray) -> Dict[str, str]:
        """``{fg_color, bg_color, vertical, horizontal, size}`` words of an (H, W, 3) RGB image (uint8 or 0..255)."""
        mask, bg = self.subject_mask(img)
        bg_name = self.name_color(bg)
        if not mask.any():
            return dict(fg_color=bg_name, bg_color=bg_name, vertical='middle', horizontal='center', size='small')
        h, w = mask.shape
        ys, xs = np.nonzero(mask)
        cy, cx = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
        extent = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) / max(h, w)
        fg = np.median(self._check(img)[mask], axis=0)
        return dict(fg_color=self.name_color(fg), bg_color=bg_name, vertical=VERTICAL[min(int(3 * cy / h), 2)],
                    horizontal=HORIZONTAL[min(int(3 * cx / w), 2)], size=SIZES[int(extent > self.large_fraction)])

    def classify_shape(self, img: np.ndarray) -> Optional[str]:
        """``'square'``, ``'circle'`` or ``'triangle'`` (apex up) of the subject, ``None`` without one.

        A square fills its bounding box (> 0.88); a triangle is much narrower in the top third of its box than in the
        bottom third (mean row width ratio < 0.6); anything else is a circle.
        """
        mask, _ = self.subject_mask(img)
        if mask.sum() < 4:
            return None
        ys, xs = np.nonzero(mask)
        box = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        if box.mean() > 0.88:
            return 'square'
        widths = box.sum(1).astype(np.float64)
        third = max(1, len(widths) // 3)
        return 'triangle' if widths[:third].mean() < 0.6 * widths[-third:].mean() else 'circle'
