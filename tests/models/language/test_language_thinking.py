"""Slow-mode prompting and answer extraction, with a scripted backend."""
from panguvision.models.language import BaseLanguageBackend, GenerationResult, LanguageAdapter
from panguvision.models.language.thinking import ANSWER_MARKER, SLOW_SYSTEM


class ScriptedBackend(BaseLanguageBackend):
    """Replies with ``reply`` (slow reasoning), then ``continuation`` when asked to continue after 'Answer:'."""

    capabilities = frozenset(('generate', ))

    def __init__(self, reply, continuation=' 42\nmore text'):
        self.reply = reply
        self.continuation = continuation
        self.calls = []

    def generate(self, prompts, max_new_tokens=64, seed=0, system=None, do_sample=False, temperature=1.0,
                 prefix=''):
        self.calls.append(dict(prompts=list(prompts), system=system, prefix=prefix, max_new_tokens=max_new_tokens))
        text = self.continuation if prefix.endswith(ANSWER_MARKER) else self.reply
        return [GenerationResult(text, len(text)) for _ in prompts]


def test_slow_prompt_budget_and_answer_pass():
    backend = ScriptedBackend('1. think\n2. think more')
    adapter = LanguageAdapter(backend=backend, answer_max_new_tokens=5)
    detail = adapter.generate_detailed('Why?', mode='slow', max_new_tokens=10)[0]
    assert detail['answer'] == '42' and detail['reasoning'] == '1. think\n2. think more'
    first, second = backend.calls
    assert first['system'] == SLOW_SYSTEM and first['prompts'] == ["Why?\nLet's think step by step."]
    assert first['max_new_tokens'] == 40  # 4x the answer budget for the reasoning
    assert second['prefix'] == '1. think\n2. think more\nAnswer:' and second['max_new_tokens'] == 5
    # Without the answer pass, the last line is the answer.
    plain = LanguageAdapter(backend=ScriptedBackend('1. think\n2. think more'), answer_pass=False)
    assert plain.generate('Why?', mode='slow') == '2. think more'


def test_marker_in_reply_needs_no_second_pass():
    backend = ScriptedBackend('1. add\nAnswer: 7.')
    assert LanguageAdapter(backend=backend).generate('What is 3 + 4?', mode='slow') == '7'
    assert len(backend.calls) == 1
    truncated = ScriptedBackend('1. add\nAnswer:')  # the budget ran out after the marker
    assert LanguageAdapter(backend=truncated).generate('What is 3 + 4?', mode='slow') == '42'
    assert len(truncated.calls) == 2


def test_empty_answer_pass_keeps_the_last_reasoning_line():
    silent = ScriptedBackend('1. Jupiter is big.\n2. So it is Jupiter', continuation='')
    assert LanguageAdapter(backend=silent).generate('Largest planet?', mode='slow') == '2. So it is Jupiter'
    cut = ScriptedBackend('1. Jupiter is the largest.\nAnswer:', continuation='\n')
    assert LanguageAdapter(backend=cut).generate('Largest planet?', mode='slow') == '1. Jupiter is the largest'
