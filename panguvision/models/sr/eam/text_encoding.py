"""SD3-style prompt encoding for EAM: CLIP text encoder(s) give a pooled vector and a token sequence, an optional T5
encoder extends the sequence.

SD3 concatenates the penultimate hidden states of CLIP-L and CLIP-G along the feature axis (768 + 1280 = 2048),
zero-pads them to the T5 width (4096) and appends the T5 tokens along the sequence axis; the pooled projection is
the concatenation of both CLIP ``text_embeds`` (2048). :class:`SD3TextEncoder` does this for any number of CLIP
encoders, so a single tiny random CLIP (:func:`tiny_text_encoder`) serves the tests and the CPU configs.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['ByteTokenizer', 'SD3TextEncoder', 'tiny_text_encoder', 'require_local_folder']


def require_local_folder(path: str, subfolder: str) -> str:
    """``path/subfolder`` must exist (EAM never downloads weights); a clear error names what is missing."""
    full = osp.join(path, subfolder)
    if not osp.isdir(full):
        raise FileNotFoundError(f'EAM: {full} not found; expected a local diffusers SD3 folder with vae/, '
                                f'transformer/, text_encoder/, tokenizer/ (text_encoder_2/ + tokenizer_2/, '
                                f'text_encoder_3/ + tokenizer_3/ optional). Weights are never downloaded.')
    return full


class ByteTokenizer:
    """UTF-8 bytes as token ids, with BOS/EOS/PAD ids 256/257/258, padded or cut to ``max_length``.

    Hand-written for the tiny random text encoder: CLIP's BPE tokenizer needs vocabulary files we do not ship.
    Called like a Hugging Face tokenizer (``tok(texts, ...)['input_ids']`` is a ``(N, max_length)`` LongTensor).
    """

    bos, eos, pad = 256, 257, 258
    vocab_size = 259

    def __init__(self, max_length: int = 32) -> None:
        self.model_max_length = max_length

    def __call__(self, texts: Sequence[str], **kwargs) -> Dict[str, torch.Tensor]:
        n = self.model_max_length
        rows = []
        for text in texts:
            ids = [self.bos] + list(text.encode('utf-8'))[:n - 2] + [self.eos]
            rows.append(ids + [self.pad] * (n - len(ids)))
        return {'input_ids': torch.tensor(rows, dtype=torch.long)}


def tiny_text_encoder(hidden_size: int = 32, projection_dim: int = 24, max_length: int = 32) -> 'SD3TextEncoder':
    """One tiny random ``CLIPTextModelWithProjection`` + :class:`ByteTokenizer`; sequence width ``hidden_size``
    (-> the transformer's ``joint_attention_dim``), pooled width ``projection_dim`` (-> ``pooled_projection_dim``)."""
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection  # heavy optional dependency
    tok = ByteTokenizer(max_length)
    cfg = CLIPTextConfig(vocab_size=tok.vocab_size, hidden_size=hidden_size, intermediate_size=2 * hidden_size,
                         num_hidden_layers=2, num_attention_heads=2, projection_dim=projection_dim,
                         max_position_embeddings=max_length, bos_token_id=tok.bos, eos_token_id=tok.eos,
                         pad_token_id=tok.pad)
    return SD3TextEncoder([CLIPTextModelWithProjection(cfg)], [tok])


class SD3TextEncoder(nn.Module):
    """Frozen prompt encoder: ``encode(texts) -> (prompt_embeds (N, T, D), pooled (N, P))``.

    Args:
        clip_encoders: ``CLIPTextModelWithProjection`` s (SD3: CLIP-L, CLIP-G).
        clip_tokenizers: their tokenizers.
        t5_encoder, t5_tokenizer: optional ``T5EncoderModel`` and tokenizer (SD3's third encoder).
        joint_attention_dim: width D of the output sequence; CLIP features are zero-padded to it (SD3: 4096). ``None``
            keeps the CLIP width.
        t5_max_length: T5 tokens (SD3: 256; 77 in the first release).
        cache_size: prompts whose embeddings are kept in memory (the encoders are frozen).
    """

    def __init__(self, clip_encoders: Sequence[nn.Module], clip_tokenizers: Sequence, t5_encoder=None,
                 t5_tokenizer=None, joint_attention_dim: Optional[int] = None, t5_max_length: int = 256,
                 cache_size: int = 256) -> None:
        super().__init__()
        self.clips = nn.ModuleList(clip_encoders)
        self.clip_tokenizers = list(clip_tokenizers)
        self.t5 = t5_encoder
        self.t5_tokenizer = t5_tokenizer
        self.joint_attention_dim = joint_attention_dim
        self.t5_max_length = t5_max_length
        self.cache_size = cache_size
        self._cache: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
        self.requires_grad_(False)

    @classmethod
    def from_pretrained(cls, path: str, use_t5: bool = True, torch_dtype: Optional[torch.dtype] = None,
                        joint_attention_dim: Optional[int] = None) -> 'SD3TextEncoder':
        """The text encoders of a local diffusers SD3 folder (``local_files_only``; nothing is downloaded)."""
        from transformers import AutoTokenizer, CLIPTextModelWithProjection, T5EncoderModel
        clips, toks = [], []
        for suffix in ('', '_2'):
            if suffix and not osp.isdir(osp.join(path, 'text_encoder' + suffix)):
                continue
            require_local_folder(path, 'text_encoder' + suffix)
            clips.append(CLIPTextModelWithProjection.from_pretrained(
                path, subfolder='text_encoder' + suffix, local_files_only=True, torch_dtype=torch_dtype))
            toks.append(AutoTokenizer.from_pretrained(path, subfolder='tokenizer' + suffix, local_files_only=True))
        t5 = t5_tok = None
        if use_t5:
            require_local_folder(path, 'text_encoder_3')
            t5 = T5EncoderModel.from_pretrained(path, subfolder='text_encoder_3', local_files_only=True,
                                                torch_dtype=torch_dtype)
            t5_tok = AutoTokenizer.from_pretrained(path, subfolder='tokenizer_3', local_files_only=True)
        return cls(clips, toks, t5, t5_tok, joint_attention_dim=joint_attention_dim)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @torch.no_grad()
    def _encode(self, texts: List[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        device = self.device
        seqs, pooled = [], []
        for encoder, tok in zip(self.clips, self.clip_tokenizers):
            ids = tok(texts, padding='max_length', max_length=tok.model_max_length, truncation=True,
                      return_tensors='pt')['input_ids'].to(device)
            out = encoder(ids, output_hidden_states=True)
            seqs.append(out.hidden_states[-2])  # SD3 uses the penultimate layer
            pooled.append(out.text_embeds)
        seq, pooled = torch.cat(seqs, dim=-1), torch.cat(pooled, dim=-1)
        width = self.joint_attention_dim or seq.shape[-1]
        seq = F.pad(seq, (0, width - seq.shape[-1]))
        if self.t5 is not None:
            ids = self.t5_tokenizer(texts, padding='max_length', max_length=self.t5_max_length, truncation=True,
                                    return_tensors='pt')['input_ids'].to(device)
            seq = torch.cat([seq, self.t5(ids)[0].to(seq.dtype)], dim=1)
        return seq, pooled

    def encode(self, texts: Sequence[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """``texts`` -> ``(prompt_embeds (N, T, D), pooled (N, P))`` (cached per prompt, no gradients)."""
        texts = list(texts)
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            seq, pooled = self._encode(todo)
            for text, s, p in zip(todo, seq, pooled):
                if len(self._cache) >= self.cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[text] = (s, p)
        rows = [self._cache[t] for t in texts]
        return torch.stack([r[0] for r in rows]), torch.stack([r[1] for r in rows])

    def _apply(self, fn, *args, **kwargs):
        self._cache.clear()  # cached tensors would stay on the old device / dtype
        return super()._apply(fn, *args, **kwargs)
