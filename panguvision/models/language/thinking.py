"""Fast and slow thinking (Pangu Embedded): the prompts of each mode and the answer extraction of the slow one.

*Fast* sends the user's prompt as it is and returns the model's reply. *Slow* asks the model to reason step by step
(a system prompt plus a chain-of-thought cue appended to the user's message) and to end with a line starting with
:data:`ANSWER_MARKER`; the answer is the text after the last marker. When the model writes no marker (small models
often do not), a second, short pass continues the reasoning with the marker as the start of the reply and takes what
it writes (``answer_pass`` in :class:`~panguvision.models.language.adapter.LanguageAdapter`).
"""
import re
from typing import Tuple

ANSWER_MARKER = 'Answer:'

SLOW_SYSTEM = ('You are a careful assistant. Think step by step: write your reasoning as short numbered steps, '
               f"then give the final answer on a last line that starts with '{ANSWER_MARKER}'.")

SLOW_TEMPLATE = "{prompt}\nLet's think step by step."

# Phrases that introduce a final answer, most specific first; matched case-insensitively, the last occurrence wins.
_MARKERS = (r'final answer\s*[:\-]', r'answer\s*:', r'the answer is\b', r'therefore,?\b', r'so,? the result is\b')
_MARKER_RE = re.compile('|'.join(f'(?:{m})' for m in _MARKERS), re.IGNORECASE)


def has_answer_marker(text: str) -> bool:
    """Whether ``text`` contains a phrase that introduces a final answer."""
    return _MARKER_RE.search(text) is not None


def split_reasoning(text: str) -> Tuple[str, str]:
    """Split a slow-mode reply into ``(reasoning, answer)``.

    The answer is the text after the last answer phrase (``Answer:``, ``Final answer:``, ``The answer is``, ...),
    up to the end of its line if anything non-empty follows on that line, else the next non-empty line, without
    leading colons. Without such a phrase the answer is the last non-empty line and the reasoning everything before
    it. Answers lose a trailing full stop.
    """
    text = text.strip()
    matches = list(_MARKER_RE.finditer(text))
    if matches:
        last = matches[-1]
        reasoning = text[:last.start()].strip()
        rest = text[last.end():].strip()
        lines = [line.strip() for line in rest.splitlines() if line.strip()]
        answer = lines[0] if lines else ''
        return reasoning, answer.lstrip(': ').rstrip('. ')
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return '', ''
    return '\n'.join(lines[:-1]), lines[-1].rstrip('. ')
