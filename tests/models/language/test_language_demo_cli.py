"""tools/misc/language_adapter_demo.py, run in-process on the weights-free fallback backend."""
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / 'tools' / 'misc' / 'language_adapter_demo.py'


def _load_demo():
    spec = importlib.util.spec_from_file_location('language_adapter_demo', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_prints_mode_and_answer(capsys, tmp_path):
    demo = _load_demo()
    cache = tmp_path / 'cache.json'
    assert demo.main(['What is 12 * (3 + 4) - 5?', '--backend', 'fallback', '--show-reasoning',
                      '--cache-file', str(cache)]) == 0
    out = capsys.readouterr().out
    assert 'mode: slow (complexity' in out and 'answer: 79' in out and '3 + 4 = 7' in out
    assert cache.is_file()
    assert demo.main(['Hello!', '--mode', 'auto']) == 0
    out = capsys.readouterr().out
    assert 'mode: fast' in out and 'answer: Hello!' in out
    with pytest.raises(SystemExit):
        demo.main(['x', '--backend', 'nope'])
