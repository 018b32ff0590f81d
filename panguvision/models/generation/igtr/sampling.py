"""Token sampling for the IGTR transformer: temperature / top-k / top-p, classifier-free guidance, KV cache."""
from typing import Dict, Optional

import torch

__all__ = ['top_k_filter', 'top_p_filter', 'sample_from_logits', 'cfg_combine', 'generate_tokens']


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits of the last dimension, set the others to ``-inf`` (``k <= 0``: no filter)."""
    if k <= 0 or k >= logits.shape[-1]:
        return logits
    kth = logits.topk(k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float('-inf'))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of most likely tokens whose probabilities sum to at least ``p`` (the
    most likely token is always kept), set the others to ``-inf`` (``p >= 1``: no filter)."""
    if p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs  # probability of the tokens ranked above each one
    remove_sorted = mass_before >= p
    remove_sorted[..., 0] = False
    remove = torch.zeros_like(remove_sorted).scatter(-1, order, remove_sorted)
    return logits.masked_fill(remove, float('-inf'))


def sample_from_logits(logits: torch.Tensor,
                       temperature: float = 1.0,
                       top_k: int = 0,
                       top_p: float = 1.0,
                       generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Draw one id per row of ``logits`` (B, V); ``temperature == 0`` is greedy (argmax)."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    logits = top_p_filter(top_k_filter(logits.float() / temperature, top_k), top_p)
    return torch.multinomial(logits.softmax(dim=-1), 1, generator=generator)[:, 0]


def cfg_combine(cond_logits: torch.Tensor, uncond_logits: torch.Tensor, scale: float) -> torch.Tensor:
    """Classifier-free guidance ``uncond + scale * (cond - uncond)`` (scale 1 = the conditional logits)."""
    return uncond_logits + scale * (cond_logits - uncond_logits)


@torch.no_grad()
def generate_tokens(model,
                    cond: torch.Tensor,
                    prefix: Optional[torch.Tensor] = None,
                    prefix_allowed: Optional[torch.Tensor] = None,
                    cfg_scale: float = 1.0,
                    cfg_batch: Optional[bool] = None,
                    temperature: float = 1.0,
                    top_k: int = 0,
                    top_p: float = 1.0,
                    prefix_temperature: Optional[float] = None,
                    use_kv_cache: bool = True,
                    generator: Optional[torch.Generator] = None,
                    return_logits: bool = False) -> Dict[str, torch.Tensor]:
    """Sample the reasoning prefix and the N image tokens of an :class:`IGTRTransformer`.

    Prefix words given in ``prefix`` are forced; entries ``< 0`` are sampled from the model's prefix head (restricted
    to the words allowed in that slot, conditional logits only). Image tokens use classifier-free guidance when
    ``cfg_batch`` (default: ``cfg_scale != 1``): the batch is doubled, the second half with the null condition and
    null prefix words (id 0). Without KV cache every step re-runs the whole sequence so far (the reference path).

    Args:
        model: the transformer.
        cond: ``(B,)`` class ids or ``(B, text_dim)`` text embeddings.
        prefix: ``(B, K)`` long, ``-1`` = sample; None = sample every slot.
        prefix_allowed: ``(K, Vp)`` bool, the words each slot may take (None: all).
        cfg_scale: guidance scale.
        cfg_batch: force (True) or skip (False) the unconditional branch.
        temperature, top_k, top_p: image-token sampling (temperature 0 = greedy).
        prefix_temperature: prefix-word temperature (default: ``temperature``).
        use_kv_cache: reuse keys/values of earlier positions.
        generator: torch generator on the model's device.
        return_logits: also return the (guided, unfiltered) image-token logits.

    Returns:
        ``dict(tokens=(B, N) long, prefix=(B, K) long[, logits=(B, N, V)])``.
    """
    b, k, n = cond.shape[0], model.num_prefix_slots, model.num_image_tokens
    device = model.head.weight.device
    cond = cond.to(device)
    guided = cfg_scale != 1.0 if cfg_batch is None else bool(cfg_batch)
    rows = 2 * b if guided else b
    cond_rows = torch.cat([cond, cond]) if guided else cond
    drop = torch.arange(rows, device=device) >= b  # True for the unconditional half
    caches = model.new_caches(rows, device) if use_kv_cache else None
    history = []

    def step(x: torch.Tensor, start: int) -> torch.Tensor:
        """Hidden state (rows, D) of the last of the new positions ``start .. start + L - 1``."""
        if caches is not None:
            return model.forward_hidden(x, start, caches)[:, -1]
        history.append(x)
        return model.forward_hidden(torch.cat(history, dim=1), 0)[:, -1]

    h = step(model.embed_cond(cond_rows, drop), 0)
    chosen_prefix = torch.zeros(b, k, dtype=torch.long, device=device)
    p_temp = temperature if prefix_temperature is None else prefix_temperature
    for j in range(k):
        given = prefix[:, j].to(device) if prefix is not None else torch.full((b,), -1, device=device)
        logits = model.prefix_head(h[:b]).float()
        if prefix_allowed is not None:
            logits = logits.masked_fill(~prefix_allowed[j].to(device), float('-inf'))
        sampled = sample_from_logits(logits, p_temp, generator=generator)
        word = torch.where(given >= 0, given, sampled)
        chosen_prefix[:, j] = word
        word_rows = torch.cat([word, torch.zeros_like(word)]) if guided else word
        h = step(model.embed_prefix(word_rows[:, None]), 1 + j)

    tokens = torch.zeros(b, n, dtype=torch.long, device=device)
    all_logits = []
    for i in range(n):
        logits = model.head(h).float()
        if guided:
            logits = cfg_combine(logits[:b], logits[b:], cfg_scale)
        if return_logits:
            all_logits.append(logits)
        tok = sample_from_logits(logits, temperature, top_k, top_p, generator)
        tokens[:, i] = tok
        if i + 1 < n:
            tok_rows = torch.cat([tok, tok]) if guided else tok
            h = step(model.embed_image(tok_rows[:, None]), 1 + k + i)
    out = dict(tokens=tokens, prefix=chosen_prefix)
    if return_logits:
        out['logits'] = torch.stack(all_logits, dim=1)
    return out
