"""EAM's subject-aware prompts with the language adapter's deterministic fallback backend (offline)."""
import json

import numpy as np
import pytest

from panguvision.models.sr.eam.prompting import EXAMPLE_BANK, SubjectPrompter, image_key


def _image(seed=0, shape=(24, 32, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


def test_examples_are_chosen_by_similarity():
    prompter = SubjectPrompter(num_examples=2)
    chosen = prompter.select_examples('a small bird sitting on a branch')
    assert len(chosen) == 2 and chosen[0] == EXAMPLE_BANK[1]
    assert prompter.select_examples('a dog lying on the grass')[0] == EXAMPLE_BANK[4]
    query = prompter.build_query('a green image', chosen)
    assert query.endswith('Image: a green image\nPrompt:') and EXAMPLE_BANK[1][1] in query


def test_prompt_is_descriptive_deterministic_and_cached(tmp_path):
    cache = tmp_path / 'prompts.json'
    prompter = SubjectPrompter(cache_file=str(cache))
    img = _image()
    prompt = prompter(img)
    caption = prompter.adapter.caption(img)
    assert prompter.last_source in ('generated', 'template')
    if prompter.last_source == 'template':  # the fallback LM's reply is too short: caption + subject/background
        assert prompt.startswith(caption.rstrip('.')) and 'background' in prompt
    assert len(prompt.split()) >= 5
    assert prompter(img) == prompt and prompter.last_source == 'cache'
    assert json.loads(cache.read_text()) == {image_key(img): prompt}
    again = SubjectPrompter(cache_file=str(cache))  # a new process reads the file
    assert again(img) == prompt and again.last_source == 'cache'
    other = _image(1, (24, 32, 3)) // 4  # a different (darker) image gets its own caption and prompt
    assert prompter(other) != prompt and prompter.last_source != 'cache'


def test_bad_cache_file_and_examples_are_reported(tmp_path):
    bad = tmp_path / 'bad.json'
    bad.write_text('{"a": "x",\n oops}')
    with pytest.raises(ValueError, match=r'bad.json line 2'):
        SubjectPrompter(cache_file=str(bad))
    with pytest.raises(ValueError, match='caption, prompt'):
        SubjectPrompter(examples=[('only a caption', )])
