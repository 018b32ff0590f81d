"""Subject-aware prompts for EAM: caption the LQ image, pick in-context examples by embedding similarity, let the
language model write the prompt (key subject in detail, background briefly); cached per image.

Everything goes through :class:`panguvision.models.language.LanguageAdapter` (``caption``, ``embed``, ``generate``),
so it runs offline with the deterministic fallback backend and with a local LLM alike. A reply that is not a usable
prompt (too few words, e.g. the fallback backend's terse answers) is replaced by a template built from the caption, so
the SR model always gets a descriptive prompt; :attr:`SubjectPrompter.last_source` says which one was used.
"""
import hashlib
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from panguvision.registry import MODELS

__all__ = ['SubjectPrompter', 'EXAMPLE_BANK']

# (caption of a low-quality image, prompt written for it): the subject in detail first, the background briefly.
EXAMPLE_BANK = (
    ('a close-up photo of a person\'s face, blurry and noisy',
     'a portrait of a person, sharp eyes with clear irises and eyelashes, natural skin texture with fine pores, '
     'individual strands of hair; background: a softly blurred room'),
    ('a small bird sitting on a branch, low resolution',
     'a small songbird perched on a twig, crisp feathers with fine barbs, a bright eye and a pointed beak; '
     'background: out-of-focus green leaves'),
    ('a city street with buildings and cars, compressed',
     'a city street with straight building facades, sharp window frames, legible signs and clean car edges; '
     'background: a pale sky'),
    ('a landscape with mountains and a lake, hazy',
     'a mountain range with detailed rock ridges and snow patches above a calm lake with clear reflections; '
     'background: a blue sky with a few clouds'),
    ('a dog lying on the grass, blurry',
     'a dog lying on grass, dense fur with visible individual hairs, a wet nose and bright eyes; '
     'background: a lawn, slightly blurred'),
    ('a plate of food on a table, noisy',
     'a plate of food, crisp textures of vegetables and sauce, sharp rim of the plate; background: a wooden table'),
    ('text on a page or a sign, low resolution',
     'printed text on a sign, sharp letter strokes with clean edges and uniform ink; background: a plain wall'),
    ('a flower in a garden, soft and noisy',
     'a flower in bloom, delicate petals with fine veins, a detailed stamen and pollen; '
     'background: blurred garden foliage'),
    ('an astronaut or a person in a uniform, grainy',
     'a person in a suit with fabric folds, stitched patches and reflective details; background: a dark studio'),
    ('a building with a brick wall and windows, blurry',
     'a brick building, individual bricks with mortar lines, sharp window panes and frames; background: sky'),
)

INSTRUCTION = ('You write prompts for an image restoration model. Describe the key subject of the photo in detail '
               '(textures, materials, edges) and the background briefly, in one line.')


def image_key(image: np.ndarray) -> str:
    """SHA-256 of an image's shape and bytes: the cache key of its prompt."""
    image = np.ascontiguousarray(image)
    return hashlib.sha256(str(image.shape).encode() + image.tobytes()).hexdigest()


@MODELS.register_module()
class SubjectPrompter:
    """``prompter(lq_image) -> prompt`` for an ``(H, W, 3)`` uint8 RGB LQ image.

    Args:
        adapter: :class:`LanguageAdapter` config or instance (default: the fallback backend, no weights).
        examples: ``(caption, prompt)`` pairs of the in-context bank (default :data:`EXAMPLE_BANK`).
        num_examples: in-context examples per query (most similar captions first).
        max_new_tokens: budget of the written prompt.
        min_words: replies with fewer words are replaced by the caption template.
        cache_file: optional JSON file mapping image hash -> prompt, read at start and rewritten on every new entry.
    """

    def __init__(self, adapter=None, examples: Optional[Sequence] = None, num_examples: int = 2,
                 max_new_tokens: int = 64, min_words: int = 5, cache_file: Optional[str] = None) -> None:
        if adapter is None:
            adapter = dict(type='LanguageAdapter', backend=dict(type='FallbackLanguageBackend'))
        self.adapter = MODELS.build(adapter) if isinstance(adapter, dict) else adapter
        self.examples = [tuple(e) for e in (examples or EXAMPLE_BANK)]
        if not self.examples or any(len(e) != 2 for e in self.examples):
            raise ValueError('SubjectPrompter: examples must be a non-empty list of (caption, prompt) pairs')
        self.num_examples = num_examples
        self.max_new_tokens = max_new_tokens
        self.min_words = min_words
        self.cache_file = cache_file
        self.cache: Dict[str, str] = self._read_cache(cache_file) if cache_file else {}
        self._example_embeds = None
        self.last_source = None

    @staticmethod
    def _read_cache(path: str) -> Dict[str, str]:
        if not osp.isfile(path):
            return {}
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'SubjectPrompter: {path} line {err.lineno}: not valid JSON ({err.msg}); expected an '
                             f'object mapping image hashes to prompts') from err
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f'SubjectPrompter: {path} must hold a JSON object of image hash -> prompt string')
        return data

    def _write_cache(self) -> None:
        from panguvision.utils.checkpoint import atomic_write_bytes
        atomic_write_bytes(json.dumps(self.cache, indent=1, sort_keys=True).encode('utf-8'), self.cache_file)

    def select_examples(self, caption: str) -> List[tuple]:
        """The ``num_examples`` bank entries whose captions are closest to ``caption`` (cosine similarity)."""
        if self._example_embeds is None:
            self._example_embeds = self.adapter.embed([c for c, _ in self.examples])
        sims = self._example_embeds @ self.adapter.embed(caption)[0]
        order = sims.argsort(descending=True)[:self.num_examples].tolist()
        return [self.examples[i] for i in order]

    def build_query(self, caption: str, examples: Sequence[tuple]) -> str:
        shots = '\n'.join(f'Image: {c}\nPrompt: {p}' for c, p in examples)
        return f'{INSTRUCTION}\n\n{shots}\nImage: {caption}\nPrompt:'

    @staticmethod
    def template(caption: str) -> str:
        """The prompt used when the language model's reply is unusable: the caption, then detail and background."""
        return (f'{caption.strip().rstrip(".")}; the key subject sharp and finely detailed with clean edges and '
                f'natural textures; background: kept soft and simple')

    def _clean(self, reply: str) -> Optional[str]:
        line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), '')
        line = re.sub(r'^(prompt\s*:\s*)', '', line, flags=re.IGNORECASE).strip(' "\'')
        return line if len(re.findall(r'[A-Za-z]{2,}', line)) >= self.min_words else None

    def __call__(self, image: np.ndarray) -> str:
        key = image_key(image)
        if key in self.cache:
            self.last_source = 'cache'
            return self.cache[key]
        caption = self.adapter.caption(image)
        query = self.build_query(caption, self.select_examples(caption))
        prompt = self._clean(self.adapter.generate(query, mode='fast', max_new_tokens=self.max_new_tokens))
        self.last_source = 'generated' if prompt else 'template'
        prompt = prompt or self.template(caption)
        self.cache[key] = prompt
        if self.cache_file:
            self._write_cache()
        return prompt
