"""The complexity-aware fast/slow selector and the adapter's auto mode."""
import pytest

from panguvision.models.language import (ComplexityModeSelector, FallbackLanguageBackend, GenerationResult,
                                         LanguageAdapter, build_language_adapter, query_features)


def test_auto_picks_slow_for_multi_step_arithmetic_and_fast_for_greeting():
    adapter = build_language_adapter(None)
    hard = ('A shop sells pens at 3 dollars each. Anna buys 4 pens and 2 notebooks at 5 dollars each, then pays '
            'with a 50 dollar note. How much change does she get?')
    out = adapter.generate_detailed([hard, 'Hello!', 'Hi, how are you?'], mode='auto')
    assert [d['mode'] for d in out] == ['slow', 'fast', 'fast']
    assert out[0]['reasoning'] and not out[1]['reasoning']
    assert out[0]['decision']['score'] >= 2.5 > out[1]['decision']['score']
    assert out[1]['answer'].lower().startswith('hello')


def test_features_count_what_they_say():
    feats = query_features('What is 12 * (3 + 4) - 5? And why?')
    assert feats['numbers'] == 4 and feats['operators'] == 3 and feats['questions'] == 2
    assert feats['keywords'] >= 1  # 'why'
    assert query_features('Hello!') == dict(words=1, clauses=0, questions=0, numbers=0, operators=0, keywords=0)


def test_thresholds_come_from_config():
    prompt = 'What is 2 + 2?'
    assert ComplexityModeSelector().score(prompt).mode != 'slow'
    assert ComplexityModeSelector(fast_threshold=0.0, slow_threshold=0.5).score(prompt).mode == 'slow'
    with pytest.raises(KeyError, match='unknown feature'):
        ComplexityModeSelector(weights=dict(colour=1.0))
    with pytest.raises(ValueError, match='fast_threshold'):
        ComplexityModeSelector(fast_threshold=3, slow_threshold=1)


class UncertainBackend(FallbackLanguageBackend):
    """Fast answers report a fixed mean entropy; counts generate calls per system prompt."""

    def __init__(self, entropy):
        super().__init__()
        self.entropy = entropy
        self.systems = []

    def generate(self, prompts, **kwargs):
        self.systems.append(kwargs.get('system'))
        out = super().generate(prompts, **kwargs)
        return [GenerationResult(r.text, r.num_tokens, -1.0, self.entropy) for r in out]


@pytest.mark.parametrize('entropy,expected', [(0.5, 'fast'), (4.0, 'slow')])
def test_grey_band_uses_fast_answer_uncertainty(entropy, expected):
    prompt = 'What is 7 + 8?'  # scores in the grey band with these thresholds
    selector = dict(type='ComplexityModeSelector', fast_threshold=0.5, slow_threshold=5.0, uncertainty_threshold=2.0)
    backend = UncertainBackend(entropy)
    adapter = LanguageAdapter(backend=backend, selector=selector)
    out = adapter.generate_detailed(prompt, mode='auto')[0]
    assert out['mode'] == expected
    assert out['decision']['uncertainty'] == entropy
    assert out['answer'] == '15'
    # The fast answer was computed once; a slow decision adds exactly one slow call.
    assert len(backend.systems) == (1 if expected == 'fast' else 2)


def test_bad_mode_is_rejected():
    with pytest.raises(ValueError, match="mode must be one of"):
        build_language_adapter(None).generate('x', mode='medium')


def test_grey_band_without_uncertainty_uses_the_midpoint():
    prompt = 'What is 7 + 8?'
    score = ComplexityModeSelector().score(prompt).score
    for slow_threshold, expected in ((2 * score - 0.5 - 0.01, 'slow'), (2 * score - 0.5 + 1.0, 'fast')):
        selector = dict(type='ComplexityModeSelector', fast_threshold=0.5, slow_threshold=slow_threshold,
                        use_uncertainty=False)
        backend = UncertainBackend(10.0)
        out = LanguageAdapter(backend=backend, selector=selector).generate_detailed(prompt, mode='auto')[0]
        assert out['mode'] == expected and 'midpoint' in out['decision']['reason']
        assert len(backend.systems) == 1  # no speculative fast answer
