"""The weights-free fallback backend through the adapter: determinism and every capability."""
import math

import numpy as np
import pytest
import torch

from panguvision.models.language import FallbackLanguageBackend, build_language_adapter, split_reasoning
from panguvision.models.language.fallback_reasoning import solve_expression, solve_word_problem
from panguvision.models.language.ngram import ByteNGramLM
from panguvision.registry import MODELS


def test_build_none_gives_fallback_and_registry_build():
    adapter = build_language_adapter(None)
    assert isinstance(adapter.backend, FallbackLanguageBackend)
    built = MODELS.build(dict(type='LanguageAdapter', backend=dict(type='FallbackLanguageBackend', embed_dim=64)))
    assert built.embed(['x']).shape == (1, 64)
    assert isinstance(build_language_adapter(built), type(built)) and build_language_adapter(built) is built
    with pytest.raises(KeyError, match='unknown language adapter preset'):
        build_language_adapter('no-such-preset')


def test_generate_is_deterministic_and_answers_arithmetic():
    prompts = ['What is 12 * (3 + 4) - 5?', 'Hello!', 'Describe the weather in Paris.']
    first = build_language_adapter(None).generate(prompts, mode='fast', seed=3)
    second = build_language_adapter(None).generate(prompts, mode='fast', seed=3)
    assert first == second
    assert first[0] == '79'
    assert first[1].lower().startswith('hello')
    assert 'paris' in first[2].lower()
    assert isinstance(build_language_adapter(None).generate('Hi there'), str)


def test_slow_mode_reasons_step_by_step():
    adapter = build_language_adapter(None)
    detail = adapter.generate_detailed('Compute 2 + 3 * 4', mode='slow')[0]
    assert detail['mode'] == 'slow'
    assert detail['answer'] == '14'
    assert '3 * 4 = 12' in detail['reasoning'] and '2 + 12 = 14' in detail['reasoning']
    assert detail['raw'].strip().endswith('Answer: 14')
    assert adapter.generate('Compute 2 + 3 * 4', mode='fast') == '14'


def test_word_problems_and_safe_expressions():
    steps, value = solve_word_problem('I have 3 apples and buy 5 more, then eat 2. How many are left?')
    assert value == 6 and len(steps) == 2
    assert solve_word_problem('5 boxes hold 12 eggs each. How many eggs?')[1] == 60
    assert solve_word_problem('A car drives 60 km in 2 hours; what is its average speed?') is None
    assert solve_expression('2 ** 1000000') is None  # refused, not computed
    assert solve_expression('import os; 1 + 1')[1] == 2
    assert solve_expression('no numbers here') is None


def test_split_reasoning():
    assert split_reasoning('1. think\n2. more\nAnswer: Paris.') == ('1. think\n2. more', 'Paris')
    assert split_reasoning('step one\nThe answer is 42')[1] == '42'
    assert split_reasoning('100 - 37 = 63\n\nThe answer is: 63.')[1] == '63'
    assert split_reasoning('Final answer: -5')[1] == '-5'
    assert split_reasoning('just one line') == ('', 'just one line')


def test_embed_normalised_and_similarity_ordering():
    adapter = build_language_adapter(None)
    emb = adapter.embed(['a cat sat on the mat', 'the cat is sitting on a mat', 'stock prices fell sharply'])
    assert emb.shape == (3, 256) and emb.dtype == torch.float32
    assert torch.allclose(emb.norm(dim=1), torch.ones(3), atol=1e-5)
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2] + 0.1
    assert adapter.embed(['', '  ']).norm(dim=1).tolist() == pytest.approx([1.0, 1.0])
    assert torch.equal(emb, adapter.embed(['a cat sat on the mat', 'the cat is sitting on a mat',
                                           'stock prices fell sharply']))


def test_caption_describes_colours_and_layout():
    image = np.zeros((60, 80, 3), np.uint8)
    image[:30] = (30, 60, 230)  # blue top half
    image[30:] = (250, 250, 250)  # white bottom half
    caption = build_language_adapter(None).caption(image)
    assert 'blue' in caption and 'white' in caption
    assert 'brighter at the bottom' in caption and 'landscape' in caption
    dark = build_language_adapter(None).caption(np.full((20, 20, 3), 5, np.uint8))
    assert dark.startswith('a dark') and 'black (100%)' in dark and 'square' in dark
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8'):
        build_language_adapter(None).caption(np.zeros((4, 4), np.uint8))


def test_logprob_is_a_proper_byte_model():
    lm = ByteNGramLM(order=3)
    for context in (b'', b'th', b'zq'):
        total = sum(lm.prob(b, context) for b in range(256))
        assert math.isclose(total, 1.0, rel_tol=1e-9)
    adapter = build_language_adapter(None)
    good = adapter.logprob('The cat sat on the', ' mat.')
    bad = adapter.logprob('The cat sat on the', ' qzx#')
    assert bad < good < 0
    assert adapter.logprob('abc', '') == 0.0
    # Chain rule: log P(xy | p) = log P(x | p) + log P(y | p x).
    joint = adapter.logprob('hello', ' wor') + adapter.logprob('hello wor', 'ld')
    assert math.isclose(adapter.logprob('hello', ' world'), joint, rel_tol=1e-9)
