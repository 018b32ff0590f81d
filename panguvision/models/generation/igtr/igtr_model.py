"""IGTR: a raster-order autoregressive image generator guided by reasoning prompts (mmengine model).

Training: the frozen VQ tokenizer turns the image into ``N`` tokens; with ``use_reasoning_prefix`` the image's own
statistics (:class:`ImageLayoutDescriber`) become ``K`` reasoning words placed between the condition and the image
tokens; the transformer is trained by next-token cross-entropy on the image tokens (``loss_ce``) and the prefix
words (``loss_prefix``), with condition dropout for classifier-free guidance (a dropped sample also gets null prefix
words). Sampling: the requested condition (class name or text) is expanded by the language adapter into a
reasoning text, its slot words are forced into the prefix and the open slots are sampled by the model, then the
image tokens are sampled with CFG, temperature, top-k / top-p and a KV cache, and decoded by the tokenizer.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement

from panguvision.registry import MODELS, TASK_UTILS
from .sampling import generate_tokens

__all__ = ['IGTR']

ADAPTER_PROMPT = ('Describe the layout, the dominant colours and where the subject is placed in an image of {}. '
                  'Answer with a short phrase.')


@MODELS.register_module()
class IGTR(BaseModel):
    """Class- or text-conditional autoregressive generation over VQ tokens with an optional reasoning prefix.

    Args:
        tokenizer: :class:`VQTokenizer` config (frozen; its weights come from ``tokenizer_ckpt`` or the checkpoint).
        transformer: :class:`IGTRTransformer` config; ``vocab_size``, ``grid_size`` and, with the prefix,
            ``num_prefix_slots`` / ``prefix_vocab_size`` are filled in from the tokenizer and reasoning tokenizer.
        tokenizer_ckpt: weights of the tokenizer (an mmengine checkpoint of a ``VQTokenizer`` run or a state dict),
            loaded in :meth:`init_weights` (the Runner calls it before training).
        image_size: ``(H, W)`` of the generated images (a multiple of the tokenizer's downsampling).
        use_reasoning_prefix: the IGTR switch; False trains and samples the same model without the prefix.
        reasoning: :class:`ReasoningTokenizer` config.
        describer: :class:`ImageLayoutDescriber` config (training-time prefix from the image's statistics).
        language_adapter: config of the language adapter (``panguvision.models.language``) that expands the request
            into a reasoning text at sampling time; None = its deterministic fallback backend.
        use_language_adapter: False = only the request's own words fill the prefix.
        class_names: class names (class conditioning: names in requests map to ids; the request text of a class).
        cond_drop_prob: condition-dropout probability in training (CFG).
        prefix_loss_weight: weight of ``loss_prefix``.
        sampling_cfg: defaults of :meth:`generate` (``cfg_scale``, ``temperature``, ``top_k``, ``top_p``,
            ``prefix_temperature``, ``use_kv_cache``).
        test_cfg: ``compute_nll`` (teacher-forced NLL of the ground-truth tokens in ``predict``, default True),
            ``sample`` (generate an image per sample in ``predict``, default True), ``seed`` (default 0).
        data_preprocessor: defaults to ``SRDataPreprocessor`` (images to [0, 1]).
    """

    def __init__(self,
                 tokenizer: dict,
                 transformer: dict,
                 tokenizer_ckpt: Optional[str] = None,
                 image_size: Union[int, Sequence[int]] = 256,
                 use_reasoning_prefix: bool = True,
                 reasoning: Optional[dict] = None,
                 describer: Optional[dict] = None,
                 language_adapter: Optional[dict] = None,
                 use_language_adapter: bool = True,
                 class_names: Optional[Sequence[str]] = None,
                 cond_drop_prob: float = 0.1,
                 prefix_loss_weight: float = 1.0,
                 sampling_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor or dict(type='panguvision.SRDataPreprocessor'),
                         init_cfg=init_cfg)
        self.image_size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        self.tokenizer = MODELS.build(tokenizer)
        self.tokenizer.requires_grad_(False)
        self.tokenizer_ckpt = tokenizer_ckpt
        f = self.tokenizer.downsample
        if self.image_size[0] % f or self.image_size[1] % f:
            raise ValueError(f'image_size {self.image_size} is not a multiple of the tokenizer downsampling {f}')
        self.use_reasoning_prefix = use_reasoning_prefix
        self.reasoning = TASK_UTILS.build(reasoning or dict(type='ReasoningTokenizer'))
        self.describer = TASK_UTILS.build(describer or dict(type='ImageLayoutDescriber'))
        transformer = dict(transformer, vocab_size=self.tokenizer.codebook_size,
                           grid_size=(self.image_size[0] // f, self.image_size[1] // f))
        if use_reasoning_prefix:
            transformer.update(num_prefix_slots=self.reasoning.num_slots, prefix_vocab_size=self.reasoning.vocab_size)
        else:
            transformer.update(num_prefix_slots=0, prefix_vocab_size=0)
        self.transformer = MODELS.build(transformer)
        self.register_buffer('prefix_allowed', self.reasoning.allowed_mask(), persistent=False)
        self.language_adapter_cfg = language_adapter
        self.use_language_adapter = use_language_adapter
        self._adapter = None
        self._adapter_texts: Dict[str, str] = {}
        self.class_names = tuple(class_names) if class_names else None
        self.cond_drop_prob = cond_drop_prob
        self.prefix_loss_weight = prefix_loss_weight
        self.sampling_cfg = dict(cfg_scale=1.5, temperature=1.0, top_k=0, top_p=1.0, prefix_temperature=None,
                                 use_kv_cache=True)
        self.sampling_cfg.update(sampling_cfg or {})
        self.test_cfg = dict(compute_nll=True, sample=True, seed=0)
        self.test_cfg.update(test_cfg or {})

    # ------------------------------------------------------------------ weights / modes
    def init_weights(self) -> None:
        super().init_weights()
        if self.tokenizer_ckpt:
            from panguvision.utils.checkpoint import load_weights_file
            state = load_weights_file(self.tokenizer_ckpt)
            missing, unexpected = self.tokenizer.load_state_dict(state, strict=False)
            if missing or unexpected:
                raise KeyError(f'tokenizer_ckpt {self.tokenizer_ckpt}: does not match the VQTokenizer config '
                               f'(missing {missing[:6]}, unexpected {unexpected[:6]})')
            print_log(f'IGTR: loaded the VQ tokenizer from {self.tokenizer_ckpt}', logger='current')

    def train(self, mode: bool = True):
        super().train(mode)
        self.tokenizer.eval()  # frozen, always in eval mode (no EMA codebook updates)
        return self

    @property
    def task(self) -> str:
        return 'generation'

    # ------------------------------------------------------------------ conditions and prefixes
    def class_id(self, label: Union[int, str]) -> int:
        if isinstance(label, str) and not label.lstrip('-').isdigit():
            if not self.class_names or label not in self.class_names:
                raise KeyError(f'unknown class {label!r}; the model knows {self.class_names}')
            return self.class_names.index(label)
        label = int(label)
        if not 0 <= label < self.transformer.num_classes:
            raise ValueError(f'class id {label} outside [0, {self.transformer.num_classes})')
        return label

    def class_name(self, label: int) -> str:
        return self.class_names[label] if self.class_names and label < len(self.class_names) else f'class {label}'

    def adapter(self):
        """The language adapter, built on first use (fallback backend unless ``language_adapter`` says otherwise)."""
        if self._adapter is None:
            from panguvision.models.language import build_language_adapter
            self._adapter = build_language_adapter(self.language_adapter_cfg)
        return self._adapter

    def reasoning_text(self, request: str, seed: int = 0) -> str:
        """The text whose slot words fill the prefix: the request followed by the adapter's expansion of it."""
        if not self.use_language_adapter:
            return request
        if request not in self._adapter_texts:
            self._adapter_texts[request] = str(self.adapter().generate(
                ADAPTER_PROMPT.format(request), mode='fast', max_new_tokens=32, seed=seed))
        return f'{request}. {self._adapter_texts[request]}'

    def image_prefix(self, images: torch.Tensor) -> torch.Tensor:
        """Prefix ids (B, K) stating the statistics of ``images`` (B, 3, H, W) in [0, 1]."""
        pixels = (images.detach() * 255).round().clamp(0, 255).to('cpu', torch.uint8).permute(0, 2, 3, 1).numpy()
        ids = [self.reasoning.encode(self.describer.describe(img)) for img in pixels]
        return torch.stack(ids).to(images.device)

    def _conditions(self, data_samples: Sequence[BaseDataElement], device) -> torch.Tensor:
        if self.transformer.cond_type == 'class':
            return torch.tensor([self.class_id(s.metainfo['gt_label']) for s in data_samples], device=device)
        texts = [s.metainfo.get('prompt') or self.class_name(int(s.metainfo.get('gt_label', 0))) for s in data_samples]
        return self.adapter().embed(texts).to(device)

    # ------------------------------------------------------------------ mmengine API
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            cond = self._conditions(data_samples, inputs.device)
            prefix = self.image_prefix(inputs) if self.use_reasoning_prefix else None
            return self.transformer(cond, self.tokenizer.encode(inputs).flatten(1), prefix)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    def _check_size(self, inputs: torch.Tensor) -> None:
        if tuple(inputs.shape[-2:]) != self.image_size:
            raise ValueError(f'IGTR expects {self.image_size} images, got {tuple(inputs.shape[-2:])}; resize/crop them '
                             'in the pipeline')

    def loss(self, inputs: torch.Tensor, data_samples: List[BaseDataElement]) -> Dict[str, torch.Tensor]:
        self._check_size(inputs)
        tokens = self.tokenizer.encode(inputs).flatten(1)
        cond = self._conditions(data_samples, inputs.device)
        drop = torch.rand(len(data_samples), device=inputs.device) < self.cond_drop_prob
        prefix = None
        if self.use_reasoning_prefix:
            prefix = self.image_prefix(inputs)
            prefix_in = prefix.masked_fill(drop[:, None], 0)  # the unconditional branch sees null words
        prefix_logits, logits = self.transformer(cond, tokens, prefix_in if prefix is not None else None, drop)
        losses = dict(loss_ce=F.cross_entropy(logits.flatten(0, 1).float(), tokens.flatten()))
        if prefix is not None:
            target = prefix.masked_fill(drop[:, None], -100)
            if (target >= 0).any():
                losses['loss_prefix'] = self.prefix_loss_weight * F.cross_entropy(
                    prefix_logits.flatten(0, 1).float(), target.flatten(), ignore_index=-100)
            else:
                losses['loss_prefix'] = prefix_logits.sum() * 0
        aux = self.transformer.aux_loss()
        if aux is not None:
            losses['loss_moge_balance'] = aux
        return losses

    @torch.no_grad()
    def token_nll(self, inputs: torch.Tensor,
                  data_samples: Sequence[BaseDataElement]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced NLL (nats) of ground-truth images: per image ``(mean over its N image tokens, sum over its
        K prefix words (0 without prefix))``."""
        tokens = self.tokenizer.encode(inputs).flatten(1)
        cond = self._conditions(data_samples, inputs.device)
        prefix = self.image_prefix(inputs) if self.use_reasoning_prefix else None
        prefix_logits, logits = self.transformer(cond, tokens, prefix)
        nll = F.cross_entropy(logits.transpose(1, 2).float(), tokens, reduction='none').mean(1)
        if prefix is None:
            return nll, torch.zeros_like(nll)
        prefix_nll = F.cross_entropy(prefix_logits.transpose(1, 2).float(), prefix, reduction='none').sum(1)
        return nll, prefix_nll

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[BaseDataElement]] = None):
        """Per sample: ``token_nll`` / ``prefix_nll`` (nats) of the ground truth and, with ``test_cfg.sample``, a
        generated ``pred_img`` (3, H, W) in [0, 1] for the sample's request (``prompt`` metainfo, else its class),
        the parsed ``request`` words and the ``reasoning_text`` of the prefix actually used."""
        if data_samples is None:
            raise ValueError('IGTR.predict needs data samples with a gt_label (the condition)')
        if self.test_cfg['compute_nll']:
            self._check_size(inputs)
            nll, prefix_nll = self.token_nll(inputs, data_samples)
            for sample, a, b in zip(data_samples, nll, prefix_nll):
                sample.token_nll, sample.prefix_nll = float(a), float(b)
                sample.num_tokens = self.transformer.num_image_tokens
        if self.test_cfg['sample']:
            labels = [s.metainfo['gt_label'] for s in data_samples]
            prompts = [s.metainfo.get('prompt') for s in data_samples]
            images, texts = self.generate(labels, prompts, seed=self.test_cfg['seed'] + int(
                data_samples[0].metainfo.get('sample_idx', 0)))
            for sample, img, text, prompt, label in zip(data_samples, images, texts, prompts, labels):
                request = prompt or self.class_name(self.class_id(label))
                sample.pred_img = img
                sample.reasoning_text = text
                sample.set_metainfo(dict(request=self.reasoning.parse(request), request_text=request))
        return data_samples

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(self,
                 labels: Sequence[Union[int, str]],
                 prompts: Optional[Sequence[Optional[str]]] = None,
                 seed: int = 0,
                 return_tokens: bool = False,
                 **sampling) -> Tuple[torch.Tensor, List[str]]:
        """Sample one image per label.

        Args:
            labels: class ids or names (the condition; with text conditioning their names are the text unless a
                prompt is given).
            prompts: optional request texts ("a small red circle at top left on a black background"); their slot
                words (and the adapter's expansion) fill the prefix, open slots are sampled.
            seed: seed of the sampling generator.
            return_tokens: also return the raw ``generate_tokens`` output.
            **sampling: overrides of ``sampling_cfg`` (``cfg_scale``, ``temperature``, ``top_k``, ``top_p``,
                ``prefix_temperature``, ``use_kv_cache``).

        Returns:
            ``(images (B, 3, H, W) in [0, 1], reasoning texts)`` (plus the token dict with ``return_tokens``).
        """
        cfg = dict(self.sampling_cfg, **sampling)
        unknown = set(cfg) - {'cfg_scale', 'temperature', 'top_k', 'top_p', 'prefix_temperature', 'use_kv_cache'}
        if unknown:
            raise KeyError(f'unknown sampling options {sorted(unknown)}')
        device = self.transformer.head.weight.device
        ids = [self.class_id(label) for label in labels]
        prompts = list(prompts) if prompts is not None else [None] * len(ids)
        requests = [p or self.class_name(i) for p, i in zip(prompts, ids)]
        if self.transformer.cond_type == 'class':
            cond = torch.tensor(ids, device=device)
        else:
            cond = self.adapter().embed(requests).to(device)
        prefix = None
        if self.use_reasoning_prefix:
            prefix = torch.stack(
                [self.reasoning.encode(self.reasoning.parse(self.reasoning_text(r, seed))) for r in requests])
        generator = torch.Generator(device=device).manual_seed(int(seed))
        out = generate_tokens(self.transformer, cond, prefix, self.prefix_allowed, cfg_scale=cfg['cfg_scale'],
                              temperature=cfg['temperature'], top_k=cfg['top_k'], top_p=cfg['top_p'],
                              prefix_temperature=cfg['prefix_temperature'], use_kv_cache=cfg['use_kv_cache'],
                              generator=generator)
        h, w = self.transformer.grid_size
        images = self.tokenizer.decode(out['tokens'].view(-1, h, w))
        texts = []
        for i in range(len(requests)):
            if self.use_reasoning_prefix:
                words = self.reasoning.decode(out['prefix'][i].tolist())
                texts.append(self.reasoning.to_text(words, self.class_name(ids[i]) if self.class_names else 'object'))
            else:
                texts.append('')
        return (images, texts, out) if return_tokens else (images, texts)

    # ------------------------------------------------------------------ benchmark
    def benchmark_batch(self, batch_size: int, size: Tuple[int, int], generator: torch.Generator) -> dict:
        """Random batch for ``tools/analysis_tools/benchmark.py``: images of ``image_size`` (``size`` is ignored:
        the token grid is fixed), random class labels, no prompt."""
        h, w = self.image_size
        inputs = [torch.rand(3, h, w, generator=generator) * 255 for _ in range(batch_size)]
        labels = torch.randint(0, self.transformer.num_classes if self.transformer.cond_type == 'class' else 1,
                               (batch_size,), generator=generator).tolist()
        samples = [BaseDataElement(metainfo=dict(gt_label=int(label), sample_idx=i)) for i, label in enumerate(labels)]
        return dict(inputs=inputs, data_samples=samples)
