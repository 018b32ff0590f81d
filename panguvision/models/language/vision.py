"""Image captioning with Hugging Face vision-language models from a local folder: BLIP (generative captions) and
CLIP (zero-shot: the best-matching sentence among templates)."""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from panguvision.registry import MODELS
from .base import BaseLanguageBackend, check_image
from .hf_loading import MissingWeightsError, load_once, require_path, resolve_dtype, resolve_torch_device, set_offline

#: OpenAI CLIP's normalisation constants (also BLIP's).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

#: Subjects of the zero-shot caption sentences ``'a photo of {subject}'``.
DEFAULT_SUBJECTS = ('a person', 'a group of people', 'a face', 'a cat', 'a dog', 'a bird', 'a horse', 'an animal',
                    'a car', 'a bicycle', 'a motorcycle', 'a train', 'a boat', 'an airplane', 'a building',
                    'a city street', 'a room', 'a landscape', 'mountains', 'the sea', 'a beach', 'a forest',
                    'flowers', 'a plant', 'food', 'a cup of coffee', 'an object on a table', 'text', 'the sky',
                    'a rocket', 'a pattern', 'a texture')


def to_pixel_values(image: np.ndarray, size: int, mean: Sequence[float] = CLIP_MEAN,
                    std: Sequence[float] = CLIP_STD) -> torch.Tensor:
    """``(H, W, 3)`` uint8 RGB -> ``(1, 3, size, size)`` float32, resized (bicubic, antialiased) and normalised."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255.0
    x = torch.nn.functional.interpolate(x, size=(size, size), mode='bicubic', antialias=True, align_corners=False)
    x = x.clamp(0, 1)
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


@torch.no_grad()
def blip_caption(model, pixel_values: torch.Tensor, tokenizer, max_new_tokens: int = 32) -> str:
    """Greedy caption of ``pixel_values`` ``(1, 3, S, S)`` with a ``BlipForConditionalGeneration``."""
    param = next(model.parameters())
    out = model.generate(pixel_values=pixel_values.to(param.device, param.dtype), max_new_tokens=max_new_tokens,
                         do_sample=False)
    return tokenizer.decode(out[0], skip_special_tokens=True).strip()


@torch.no_grad()
def clip_caption(model, pixel_values: torch.Tensor, tokenize: Callable[[List[str]], Dict[str, torch.Tensor]],
                 subjects: Sequence[str] = DEFAULT_SUBJECTS, template: str = 'a photo of {}') -> str:
    """The sentence ``template.format(subject)`` that a ``CLIPModel`` matches best with the image."""
    param = next(model.parameters())
    sentences = [template.format(s) for s in subjects]
    enc = {k: v.to(param.device) for k, v in tokenize(sentences).items()}
    out = model(pixel_values=pixel_values.to(param.device, param.dtype), **enc)
    return sentences[int(out.logits_per_image[0].argmax())]


@MODELS.register_module()
class HFVisionCaptionBackend(BaseLanguageBackend):
    """``caption`` with a local BLIP (``BlipForConditionalGeneration``) or CLIP (``CLIPModel``) folder holding the
    model, its tokenizer and its image processor; loaded lazily, once per process, ``local_files_only``.

    Args:
        path: the model folder.
        device: 'cpu', 'cuda', ... or None/'auto'.
        dtype: weights dtype.
        subjects: CLIP only: the candidate subjects of ``'a photo of {subject}'``.
        package_hint: appended to the missing-path error.
    """

    capabilities = frozenset(('caption', ))

    def __init__(self,
                 path: str,
                 device: Optional[str] = None,
                 dtype='float32',
                 subjects: Sequence[str] = DEFAULT_SUBJECTS,
                 package_hint: Optional[str] = None):
        self.path = os.fspath(path)
        self.device = device
        self.dtype = dtype
        self.subjects = tuple(subjects)
        self.package_hint = package_hint

    def load(self) -> None:
        self._get()

    @property
    def name(self) -> str:
        return f'HFVisionCaption({self.path},{self.dtype})'

    def _get(self):
        path = require_path(self.path, 'vision-language model', self.package_hint)
        device, dtype = resolve_torch_device(self.device), resolve_dtype(self.dtype)
        return load_once(('vision_caption', osp.abspath(path), str(dtype), str(device)),
                         lambda: self._load(path, device, dtype))

    @staticmethod
    def _load(path: str, device: torch.device, dtype: torch.dtype):
        set_offline()
        from transformers import AutoConfig, AutoImageProcessor, AutoTokenizer, BlipForConditionalGeneration, CLIPModel
        try:
            kind = AutoConfig.from_pretrained(path, local_files_only=True).model_type
            classes = dict(blip=BlipForConditionalGeneration, clip=CLIPModel)
            if kind not in classes:
                raise ValueError(f'{path}: model_type {kind!r} is not supported for captions; expected one of '
                                 f'{sorted(classes)}')
            model = classes[kind].from_pretrained(path, local_files_only=True, dtype=dtype).eval().to(device)
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            processor = AutoImageProcessor.from_pretrained(path, local_files_only=True)
        except OSError as err:
            raise MissingWeightsError(f'could not load a vision-language model from {path}: {err}') from err
        return kind, model, tokenizer, processor

    def caption(self, image: np.ndarray, max_new_tokens: int = 32) -> str:
        kind, model, tokenizer, processor = self._get()
        pixels = processor(images=check_image(image), return_tensors='pt')['pixel_values']
        if kind == 'blip':
            return blip_caption(model, pixels, tokenizer, max_new_tokens)

        def tokenize(texts):
            return dict(tokenizer(texts, padding=True, return_tensors='pt'))

        return clip_caption(model, pixels, tokenize, self.subjects)
