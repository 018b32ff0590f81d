"""The interface every language backend implements, and the record a generation returns.

A backend does the model work; :class:`~panguvision.models.language.adapter.LanguageAdapter` adds the fast/slow/auto
thinking modes, caching and capability routing on top. A backend declares what it can do in ``capabilities`` (a
subset of ``{'generate', 'embed', 'caption', 'logprob'}``); the adapter sends a capability the backend lacks to
another backend (see the adapter).
"""
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

CAPABILITIES = ('generate', 'embed', 'caption', 'logprob')


@dataclass
class GenerationResult:
    """One generated continuation.

    Attributes:
        text: the generated text (the continuation only, without the prompt).
        num_tokens: number of generated tokens (backend units: BPE tokens, or characters for the fallback).
        mean_logprob: mean log-probability (nats) of the generated tokens under the backend, ``None`` if unknown.
        mean_entropy: mean entropy (nats) of the next-token distributions while generating, ``None`` if unknown.
        sum_logprob: summed log-probability (nats) of the tokens that make up ``text`` (the final end-of-sequence
            token excluded), ``None`` if unknown.
    """
    text: str
    num_tokens: int = 0
    mean_logprob: Optional[float] = None
    mean_entropy: Optional[float] = None
    sum_logprob: Optional[float] = None

    def to_dict(self) -> Dict:
        return asdict(self)


class BaseLanguageBackend:
    """Abstract backend. Subclasses override the methods of the capabilities they list in ``capabilities``.

    ``name`` identifies the backend *and its weights* in cache keys: two backends with the same name must give the
    same outputs for the same inputs.
    """

    capabilities: frozenset = frozenset()

    @property
    def name(self) -> str:
        return type(self).__name__

    def supports(self, capability: str) -> bool:
        return capability in self.capabilities

    def load(self) -> None:
        """Load the weights now instead of at first use (no-op for backends without weights)."""

    def generate(self,
                 prompts: Sequence[str],
                 max_new_tokens: int = 64,
                 seed: int = 0,
                 system: Optional[str] = None,
                 do_sample: bool = False,
                 temperature: float = 1.0,
                 prefix: str = '') -> List[GenerationResult]:
        """Continue each user prompt (chat-formatted where the backend has a chat template).

        Args:
            prompts: N user messages.
            max_new_tokens: upper bound on generated tokens per prompt.
            seed: seeds the backend's sampler (greedy decoding ignores it).
            system: optional system message.
            do_sample: sample instead of greedy decoding.
            temperature: sampling temperature (used when ``do_sample``).
            prefix: text the reply starts with (appended after the prompt; not part of the returned text).

        Returns:
            N :class:`GenerationResult`.
        """
        raise NotImplementedError(f'{self.name} cannot generate text')

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """Return ``(N, D)`` float32 CPU vectors, one per text, each L2-normalised."""
        raise NotImplementedError(f'{self.name} cannot embed text')

    def caption(self, image: np.ndarray, max_new_tokens: int = 32) -> str:
        """Describe an ``(H, W, 3)`` uint8 RGB image in one sentence."""
        raise NotImplementedError(f'{self.name} cannot caption images')

    def logprob(self, prompt: str, continuation: str) -> float:
        """Sum of log-probabilities (nats) of ``continuation`` given ``prompt`` (raw text, no chat template)."""
        raise NotImplementedError(f'{self.name} cannot score text')


def check_image(image) -> np.ndarray:
    """Validate a caption input: an ``(H, W, 3)`` uint8 RGB array; raise ``ValueError`` saying what was expected."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f'caption expects a numpy array (H, W, 3) uint8 RGB, got {type(image).__name__}')
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or min(image.shape[:2]) < 1:
        raise ValueError(f'caption expects an (H, W, 3) uint8 RGB image, got shape {image.shape} '
                         f'dtype {image.dtype}')
    return image


def l2_normalize(vectors: torch.Tensor) -> torch.Tensor:
    """``(N, D)`` -> ``(N, D)`` float32 with unit L2 rows (an all-zero row stays zero)."""
    return torch.nn.functional.normalize(vectors.float(), p=2, dim=-1)
