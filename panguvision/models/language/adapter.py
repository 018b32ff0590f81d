"""The language adapter every consumer uses: ``generate`` (fast / slow / auto thinking), ``embed``, ``caption``,
``logprob``; backends chosen by config, results cached.

Consumers (the IGTR generator, the EAM super-resolution prompts, ...) call only these four methods, so any backend,
from the weights-free fallback to a local Hugging Face model, plugs in through the config::

    adapter = MODELS.build(dict(type='LanguageAdapter', backend=dict(type='SmolLM2Backend'),
                                embed_backend=dict(type='MiniLMEmbeddingBackend')))
    adapter.generate('What is 17 * 23 + 4?', mode='auto')

The adapter is a plain object, not an ``nn.Module``: a consumer that keeps it as an attribute does not register the
language model's weights as its own parameters (they are frozen and never saved in the consumer's checkpoints).
"""
import hashlib
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.logging import print_log

from panguvision.registry import MODELS
from .base import CAPABILITIES, BaseLanguageBackend, GenerationResult, check_image
from .cache import ResultCache, make_key
from .fallback import FallbackLanguageBackend
from .thinking import ANSWER_MARKER, SLOW_SYSTEM, SLOW_TEMPLATE, has_answer_marker, split_reasoning

MODES = ('fast', 'slow', 'auto')


def _build(cfg) -> Optional[BaseLanguageBackend]:
    if cfg is None or isinstance(cfg, BaseLanguageBackend):
        return cfg
    return MODELS.build(cfg)


@MODELS.register_module()
class LanguageAdapter:
    """Fast/slow-thinking text generation, embeddings, captions and scores behind one object.

    Args:
        backend: the main backend (config dict or instance); ``None`` -> :class:`FallbackLanguageBackend`.
        embed_backend, caption_backend, logprob_backend: optional backends for one capability each (e.g. MiniLM for
            ``embed`` next to SmolLM2 for ``generate``).
        selector: the ``auto`` mode's selector (config or instance), default :class:`ComplexityModeSelector`.
        fast_system: system message of fast mode (``None``: the backend's default).
        slow_system: system message of slow mode; it asks for a last line starting with ``Answer:``.
        slow_template: the user message of slow mode; ``{prompt}`` is replaced by the query.
        slow_max_new_tokens: token budget of the reasoning (default ``4 * max_new_tokens``).
        answer_pass: when the reasoning has no answer marker or nothing after it, continue it with ``'Answer:'`` and
            take what the model writes as the answer (``answer_max_new_tokens`` tokens); if it writes nothing, the
            reasoning's last line is the answer.
        use_fallback: send a capability that the configured backends lack to the fallback backend (logged once)
            instead of raising ``NotImplementedError``.
        cache_size: in-memory LRU entries (0: no memory cache).
        cache_file: optional JSON file that keeps results across processes.
    """

    def __init__(self,
                 backend=None,
                 embed_backend=None,
                 caption_backend=None,
                 logprob_backend=None,
                 selector=dict(type='ComplexityModeSelector'),
                 fast_system: Optional[str] = None,
                 slow_system: str = SLOW_SYSTEM,
                 slow_template: str = SLOW_TEMPLATE,
                 slow_max_new_tokens: Optional[int] = None,
                 answer_pass: bool = True,
                 answer_max_new_tokens: int = 32,
                 use_fallback: bool = True,
                 cache_size: int = 1024,
                 cache_file: Optional[str] = None):
        if '{prompt}' not in slow_template:
            raise ValueError(f"LanguageAdapter: slow_template must contain '{{prompt}}', got {slow_template!r}")
        self.backend = _build(backend) or FallbackLanguageBackend()
        self.overrides = dict(embed=_build(embed_backend), caption=_build(caption_backend),
                              logprob=_build(logprob_backend))
        self.selector = MODELS.build(selector) if isinstance(selector, dict) else selector
        self.fast_system = fast_system
        self.slow_system = slow_system
        self.slow_template = slow_template
        self.slow_max_new_tokens = slow_max_new_tokens
        self.answer_pass = answer_pass
        self.answer_max_new_tokens = answer_max_new_tokens
        self.use_fallback = use_fallback
        self.cache = ResultCache(cache_size, cache_file)
        self._fallback = None
        self._warned = set()

    def load(self) -> None:
        """Load every configured backend's weights now (they are otherwise loaded at first use)."""
        for backend in [self.backend] + [b for b in self.overrides.values() if b is not None]:
            backend.load()

    # ------------------------------------------------------------------ routing
    def backend_for(self, capability: str) -> BaseLanguageBackend:
        """The backend that serves ``capability`` (override, else main backend, else the fallback)."""
        if capability not in CAPABILITIES:
            raise KeyError(f'unknown capability {capability!r}; expected one of {CAPABILITIES}')
        chosen = self.overrides.get(capability)
        if chosen is not None:
            if not chosen.supports(capability):
                raise ValueError(f'{capability}_backend {chosen.name} does not support {capability!r} '
                                 f'(it supports {sorted(chosen.capabilities)})')
            return chosen
        if self.backend.supports(capability):
            return self.backend
        if not self.use_fallback:
            raise NotImplementedError(f'backend {self.backend.name} does not support {capability!r} and '
                                      f'use_fallback=False; configure {capability}_backend')
        if capability not in self._warned:
            self._warned.add(capability)
            print_log(f'LanguageAdapter: {self.backend.name} has no {capability!r}; using FallbackLanguageBackend',
                      logger='current')
        if self._fallback is None:
            self._fallback = FallbackLanguageBackend()
        return self._fallback

    # ------------------------------------------------------------------ generate
    def generate(self,
                 prompt: Union[str, Sequence[str]],
                 mode: str = 'fast',
                 max_new_tokens: int = 64,
                 seed: int = 0,
                 do_sample: bool = False,
                 temperature: float = 1.0) -> Union[str, List[str]]:
        """Answer one prompt (-> str) or a list of prompts (-> list of str).

        ``mode='fast'`` answers directly; ``'slow'`` reasons step by step and returns the extracted answer;
        ``'auto'`` lets the selector choose per prompt. Deterministic for a fixed ``seed`` (greedy by default).
        :meth:`generate_detailed` also returns the mode chosen and the reasoning.
        """
        details = self.generate_detailed(prompt, mode, max_new_tokens, seed, do_sample, temperature)
        answers = [d['answer'] for d in details]
        return answers[0] if isinstance(prompt, str) else answers

    def generate_detailed(self,
                          prompt: Union[str, Sequence[str]],
                          mode: str = 'fast',
                          max_new_tokens: int = 64,
                          seed: int = 0,
                          do_sample: bool = False,
                          temperature: float = 1.0) -> List[Dict]:
        """Like :meth:`generate`, returning per prompt a dict: ``answer``, ``mode`` (fast|slow, the one used),
        ``reasoning`` (slow mode's steps, '' in fast mode), ``raw`` (the model's full reply), ``num_tokens``,
        ``mean_logprob``, ``mean_entropy`` (nats, ``None`` if the backend reports none) and, in auto mode,
        ``decision`` (score, features, uncertainty, reason)."""
        if mode not in MODES:
            raise ValueError(f'generate: mode must be one of {MODES}, got {mode!r}')
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        if not all(isinstance(p, str) for p in prompts):
            raise TypeError('generate: prompt must be a str or a list of str')
        params = dict(max_new_tokens=max_new_tokens, seed=seed, do_sample=do_sample, temperature=temperature)
        if mode != 'auto':
            return self._run_mode(prompts, mode, params)
        decisions = [self.selector.score(p) for p in prompts]
        # Grey-band prompts: the fast answer's uncertainty decides; compute those fast answers together.
        grey = [i for i, d in enumerate(decisions) if d.mode == 'undecided']
        fast_results = {}
        if grey and getattr(self.selector, 'use_uncertainty', False):
            fast_results = dict(zip(grey, self._run_mode([prompts[i] for i in grey], 'fast', params)))
        for i in grey:
            r = fast_results.get(i)
            unc = None if r is None else r['mean_entropy'] if r['mean_entropy'] is not None else (
                -r['mean_logprob'] if r['mean_logprob'] is not None else None)
            decisions[i] = self.selector.resolve(decisions[i], unc)
        outputs: List[Optional[Dict]] = [fast_results.get(i) if d.mode == 'fast' else None
                                         for i, d in enumerate(decisions)]
        for chosen in ('fast', 'slow'):
            idx = [i for i, d in enumerate(decisions) if d.mode == chosen and outputs[i] is None]
            for i, result in zip(idx, self._run_mode([prompts[i] for i in idx], chosen, params) if idx else []):
                outputs[i] = result
        for out, dec in zip(outputs, decisions):
            out['decision'] = dict(score=dec.score, features=dec.features, uncertainty=dec.uncertainty,
                                   reason=dec.reason)
        return outputs

    def _run_mode(self, prompts: List[str], mode: str, params: Dict) -> List[Dict]:
        """Fast or slow answers for ``prompts``, served from the cache where possible."""
        backend = self.backend_for('generate')
        if mode == 'fast':
            setup = dict(system=self.fast_system)
        else:
            budget = self.slow_max_new_tokens or 4 * params['max_new_tokens']
            setup = dict(system=self.slow_system, template=self.slow_template, budget=budget,
                         answer_pass=self.answer_pass, answer_tokens=self.answer_max_new_tokens)
        keys = [make_key(backend.name, 'generate', mode, p, params, setup) for p in prompts]
        outputs = [self.cache.get(k) for k in keys]
        todo = [i for i, out in enumerate(outputs) if out is None]
        if todo:
            computed = self._fast([prompts[i] for i in todo], backend, params) if mode == 'fast' else \
                self._slow([prompts[i] for i in todo], backend, params, setup['budget'])
            for i, out in zip(todo, computed):
                self.cache.put(keys[i], out)
                outputs[i] = out
        return [dict(out) for out in outputs]

    @staticmethod
    def _record(mode: str, answer: str, reasoning: str, result: GenerationResult) -> Dict:
        return dict(answer=answer, mode=mode, reasoning=reasoning, raw=result.text, num_tokens=result.num_tokens,
                    mean_logprob=result.mean_logprob, mean_entropy=result.mean_entropy)

    def _fast(self, prompts: List[str], backend: BaseLanguageBackend, params: Dict) -> List[Dict]:
        results = backend.generate(prompts, system=self.fast_system, **params)
        return [self._record('fast', r.text.strip(), '', r) for r in results]

    def _slow(self, prompts: List[str], backend: BaseLanguageBackend, params: Dict, budget: int) -> List[Dict]:
        user = [self.slow_template.replace('{prompt}', p) for p in prompts]
        results = backend.generate(user, system=self.slow_system, **dict(params, max_new_tokens=budget))
        records = []
        for u, r in zip(user, results):
            reasoning, answer = split_reasoning(r.text)
            if self.answer_pass and (not answer or not has_answer_marker(r.text)):
                # No marker, or nothing after it (budget spent): continue the reasoning with 'Answer:'.
                prefix = r.text.rstrip() + f'\n{ANSWER_MARKER}'
                second = backend.generate([u], system=self.slow_system, prefix=prefix,
                                          **dict(params, max_new_tokens=self.answer_max_new_tokens))[0]
                lines = [line.strip() for line in second.text.splitlines() if line.strip()]
                if lines:
                    reasoning, answer = r.text.strip(), lines[0].lstrip(': ').rstrip('. ')
                elif not answer:  # the model stopped at once: keep the reasoning's last line
                    reasoning, answer = split_reasoning(r.text.replace(ANSWER_MARKER, ''))
            records.append(self._record('slow', answer, reasoning, r))
        return records

    # ------------------------------------------------------------------ embed / caption / logprob
    def embed(self, texts: Union[str, Sequence[str]]) -> torch.Tensor:
        """``(N, D)`` float32 L2-normalised embeddings (``N = 1`` for a single string)."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not all(isinstance(t, str) for t in texts):
            raise TypeError('embed: texts must be a str or a list of str')
        backend = self.backend_for('embed')
        keys = [make_key(backend.name, 'embed', t) for t in texts]
        rows = [self.cache.get(k) for k in keys]
        todo = [i for i, row in enumerate(rows) if row is None]
        if todo:
            computed = backend.embed([texts[i] for i in todo]).detach().float().cpu()
            if computed.ndim != 2 or computed.shape[0] != len(todo):
                raise RuntimeError(f'{backend.name}.embed returned shape {tuple(computed.shape)}, expected '
                                   f'({len(todo)}, D)')
            for i, vec in zip(todo, computed):
                rows[i] = vec.tolist()
                self.cache.put(keys[i], rows[i])
        if not rows:
            return torch.zeros(0, 0)
        return torch.nn.functional.normalize(torch.tensor(rows, dtype=torch.float32), p=2, dim=-1)

    def caption(self, image: np.ndarray, max_new_tokens: int = 32) -> str:
        """One-sentence description of an ``(H, W, 3)`` uint8 RGB image."""
        image = check_image(image)
        backend = self.backend_for('caption')
        digest = hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()
        key = make_key(backend.name, 'caption', digest, list(image.shape), max_new_tokens)
        text = self.cache.get(key)
        if text is None:
            text = backend.caption(image, max_new_tokens=max_new_tokens).strip()
            self.cache.put(key, text)
        return text

    def logprob(self, prompt: str, continuation: str) -> float:
        """Sum of the log-probabilities (nats) of ``continuation`` given ``prompt``."""
        if not isinstance(prompt, str) or not isinstance(continuation, str):
            raise TypeError('logprob: prompt and continuation must be str')
        backend = self.backend_for('logprob')
        key = make_key(backend.name, 'logprob', prompt, continuation)
        value = self.cache.get(key)
        if value is None:
            value = float(backend.logprob(prompt, continuation))
            self.cache.put(key, value)
        return value

    def __repr__(self) -> str:
        parts = [f'backend={self.backend.name}']
        parts += [f'{k}_backend={v.name}' for k, v in self.overrides.items() if v is not None]
        return f'LanguageAdapter({", ".join(parts)})'
