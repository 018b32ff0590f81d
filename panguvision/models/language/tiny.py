"""Tiny, randomly initialised Hugging Face models built from configs in code, for fast offline tests of every code
path of the Hugging Face backends (their outputs are gibberish by construction)."""
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
import torch

from panguvision.registry import MODELS
from .base import check_image
from .hf_causal import HFCausalLMBackend
from .hf_loading import load_once, resolve_torch_device
from .vision import CLIP_MEAN, CLIP_STD, blip_caption, clip_caption, to_pixel_values

PAD, BOS, EOS, UNK = '<pad>', '<bos>', '<eos>', '<unk>'


def build_char_tokenizer():
    """A character-level ``PreTrainedTokenizerFast`` over printable ASCII and newline (ids 4..99; 0-3 are
    ``<pad> <bos> <eos> <unk>``) that prepends ``<bos>``. Built with the ``tokenizers`` library; no files needed.
    Every string of those characters round-trips exactly through encode/decode."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    vocab = {PAD: 0, BOS: 1, EOS: 2, UNK: 3}
    for ch in '\n' + ''.join(chr(i) for i in range(32, 127)):
        vocab[ch] = len(vocab)
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r'[\s\S]'), behavior='isolated')
    core.decoder = decoders.Fuse()
    core.post_processor = processors.TemplateProcessing(single=f'{BOS} $A', pair=f'{BOS} $A $B',
                                                        special_tokens=[(BOS, 1)])
    return PreTrainedTokenizerFast(tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=PAD, unk_token=UNK)


@MODELS.register_module()
class TinyRandomHFBackend(HFCausalLMBackend):
    """A tiny random ``LlamaForCausalLM`` (generate, logprob, embed) and a tiny random BLIP or CLIP (caption), with
    the character tokenizer of :func:`build_char_tokenizer`; weights drawn with ``torch.manual_seed(seed)``.

    Args:
        seed: initialisation seed.
        hidden_size, num_layers, num_heads, num_kv_heads, intermediate_size: Llama sizes.
        caption_model: 'blip' (generative) or 'clip' (zero-shot sentence choice).
        image_size: vision tower input side (pixels).
        device: 'cpu', 'cuda', ... or None/'auto'.
    """

    capabilities = frozenset(('generate', 'logprob', 'embed', 'caption'))

    def __init__(self,
                 seed: int = 0,
                 hidden_size: int = 32,
                 num_layers: int = 2,
                 num_heads: int = 4,
                 num_kv_heads: int = 2,
                 intermediate_size: int = 64,
                 caption_model: str = 'blip',
                 image_size: int = 32,
                 device: Optional[str] = 'cpu'):
        if caption_model not in ('blip', 'clip'):
            raise ValueError(f"TinyRandomHFBackend: caption_model must be 'blip' or 'clip', got {caption_model!r}")
        super().__init__(path='<tiny-random>', device=device, use_chat_template=False)
        self.sizes = dict(seed=seed, hidden_size=hidden_size, num_layers=num_layers, num_heads=num_heads,
                          num_kv_heads=num_kv_heads, intermediate_size=intermediate_size, image_size=image_size)
        self.caption_model = caption_model

    @property
    def name(self) -> str:
        sizes = ','.join(f'{k}={v}' for k, v in self.sizes.items())
        return f'TinyRandomHF({sizes},caption={self.caption_model})'

    def load(self) -> None:
        self._models()

    def _models(self) -> Dict:
        device = resolve_torch_device(self.device)
        return load_once(('tiny_random', self.name, str(device)), lambda: self._build(device))

    def _get(self):
        models = self._models()
        return models['lm'], models['tokenizer']

    def _build(self, device: torch.device) -> Dict:
        from transformers import (BlipConfig, BlipForConditionalGeneration, CLIPConfig, CLIPModel, LlamaConfig,
                                  LlamaForCausalLM)
        s = self.sizes
        tok = build_char_tokenizer()
        vocab = len(tok)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s['seed'])
            lm = LlamaForCausalLM(LlamaConfig(
                vocab_size=vocab, hidden_size=s['hidden_size'], intermediate_size=s['intermediate_size'],
                num_hidden_layers=s['num_layers'], num_attention_heads=s['num_heads'],
                num_key_value_heads=s['num_kv_heads'], max_position_embeddings=512, pad_token_id=0, bos_token_id=1,
                eos_token_id=2, tie_word_embeddings=False))
            text = dict(vocab_size=vocab, hidden_size=s['hidden_size'], intermediate_size=s['intermediate_size'],
                        num_hidden_layers=1, num_attention_heads=s['num_heads'], max_position_embeddings=128,
                        pad_token_id=0, bos_token_id=1, eos_token_id=2)
            vision = dict(hidden_size=s['hidden_size'], intermediate_size=s['intermediate_size'], num_hidden_layers=1,
                          num_attention_heads=s['num_heads'], image_size=s['image_size'], patch_size=8)
            if self.caption_model == 'blip':
                captioner = BlipForConditionalGeneration(
                    BlipConfig(text_config=dict(text, sep_token_id=2), vision_config=vision, projection_dim=16))
            else:
                captioner = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
        return dict(lm=lm.eval().to(device), captioner=captioner.eval().to(device), tokenizer=tok)

    def _clip_tokenize(self, tok, texts: List[str]) -> Dict[str, torch.Tensor]:
        ids = [tok(t, add_special_tokens=True)['input_ids'] + [tok.eos_token_id] for t in texts]
        length = max(len(i) for i in ids)
        input_ids = torch.tensor([i + [tok.pad_token_id] * (length - len(i)) for i in ids])
        mask = torch.tensor([[1] * len(i) + [0] * (length - len(i)) for i in ids])
        return dict(input_ids=input_ids, attention_mask=mask)

    def caption(self, image: np.ndarray, max_new_tokens: int = 32) -> str:
        models = self._models()
        pixels = to_pixel_values(check_image(image), self.sizes['image_size'], CLIP_MEAN, CLIP_STD)
        if self.caption_model == 'blip':
            return blip_caption(models['captioner'], pixels, models['tokenizer'], max_new_tokens)
        return clip_caption(models['captioner'], pixels, lambda texts: self._clip_tokenize(models['tokenizer'], texts))

    def save_pretrained(self, folder: str) -> Dict[str, str]:
        """Write the language model and the captioner, each with the tokenizer (and, for the captioner, an image
        processor), as ordinary Hugging Face folders ``folder/lm`` and ``folder/<blip|clip>``, so the local-path
        backends can load them. Returns ``{'lm': path, 'caption': path}``."""
        from transformers import BlipImageProcessor, CLIPImageProcessor
        models = self._models()
        paths = dict(lm=osp.join(folder, 'lm'), caption=osp.join(folder, self.caption_model))
        os.makedirs(folder, exist_ok=True)
        models['lm'].save_pretrained(paths['lm'])
        models['tokenizer'].save_pretrained(paths['lm'])
        models['captioner'].save_pretrained(paths['caption'])
        models['tokenizer'].save_pretrained(paths['caption'])
        size = self.sizes['image_size']
        processor = BlipImageProcessor(size=dict(height=size, width=size), image_mean=list(CLIP_MEAN),
                                       image_std=list(CLIP_STD)) if self.caption_model == 'blip' else \
            CLIPImageProcessor(size=dict(shortest_edge=size), crop_size=dict(height=size, width=size),
                               image_mean=list(CLIP_MEAN), image_std=list(CLIP_STD))
        processor.save_pretrained(paths['caption'])
        return paths
