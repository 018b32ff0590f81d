"""Result caching of the language adapter: memory LRU and the on-disk JSON file."""
import json

import numpy as np
import pytest

from panguvision.models.language import FallbackLanguageBackend, LanguageAdapter, ResultCache


class CountingBackend(FallbackLanguageBackend):
    """The fallback backend, counting how often each capability is computed."""

    def __init__(self):
        super().__init__()
        self.calls = dict(generate=0, embed=0, caption=0, logprob=0)

    def generate(self, prompts, **kwargs):
        self.calls['generate'] += len(prompts)
        return super().generate(prompts, **kwargs)

    def embed(self, texts):
        self.calls['embed'] += len(texts)
        return super().embed(texts)

    def caption(self, image, max_new_tokens=32):
        self.calls['caption'] += 1
        return super().caption(image, max_new_tokens)

    def logprob(self, prompt, continuation):
        self.calls['logprob'] += 1
        return super().logprob(prompt, continuation)


def test_second_call_hits_the_cache():
    backend = CountingBackend()
    adapter = LanguageAdapter(backend=backend)
    first = adapter.generate('What is 6 * 7?', mode='fast')
    assert backend.calls['generate'] == 1
    assert adapter.generate('What is 6 * 7?', mode='fast') == first == '42'
    assert backend.calls['generate'] == 1 and adapter.cache.hits == 1
    # Another mode, seed or budget is another entry.
    adapter.generate('What is 6 * 7?', mode='slow')
    adapter.generate('What is 6 * 7?', mode='fast', seed=1)
    adapter.generate('What is 6 * 7?', mode='fast', max_new_tokens=8)
    assert backend.calls['generate'] == 4
    # Batches reuse what is cached and compute only the rest.
    adapter.generate(['What is 6 * 7?', 'Hello!'], mode='fast')
    assert backend.calls['generate'] == 5

    adapter.embed(['a', 'b'])
    adapter.embed(['b', 'c', 'a'])
    assert backend.calls['embed'] == 3
    image = np.full((8, 8, 3), 100, np.uint8)
    assert adapter.caption(image) == adapter.caption(image.copy())
    assert backend.calls['caption'] == 1
    adapter.caption(image + 1)
    assert backend.calls['caption'] == 2
    assert adapter.logprob('a', 'b') == adapter.logprob('a', 'b')
    assert backend.calls['logprob'] == 1


def test_disk_cache_survives_a_new_adapter(tmp_path):
    path = tmp_path / 'cache' / 'language.json'
    first = LanguageAdapter(backend=CountingBackend(), cache_file=str(path))
    answer = first.generate('What is 10 - 3?', mode='slow')
    vec = first.embed('hello')
    assert path.is_file() and len(json.loads(path.read_text())['entries']) == 2
    backend = CountingBackend()
    second = LanguageAdapter(backend=backend, cache_file=str(path))
    assert second.generate('What is 10 - 3?', mode='slow') == answer == '7'
    assert second.embed('hello').tolist() == vec.tolist()
    assert backend.calls['generate'] == 0 and backend.calls['embed'] == 0
    assert not list(path.parent.glob('*.tmp'))  # atomic writes leave no temporary file


def test_lru_eviction_and_bad_cache_file(tmp_path):
    cache = ResultCache(max_items=2)
    for i in range(3):
        cache.put(str(i), i)
    assert cache.get('0') is None and cache.get('2') == 2 and len(cache) == 2
    assert (cache.hits, cache.misses) == (1, 1)
    bad = tmp_path / 'bad.json'
    bad.write_text('{"version": 1,\n "entries": {oops}}')
    with pytest.raises(ValueError, match=r'bad\.json:2: language cache file is not valid JSON'):
        ResultCache(path=str(bad))
    bad.write_text('[1, 2]')
    with pytest.raises(ValueError, match='bad.json: language cache file must be an object'):
        ResultCache(path=str(bad))
