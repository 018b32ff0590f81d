"""Pangu Light structured pruning for transformers following the GPT protocol (see ``reference_transformer.py``).

Importance comes from activations on a calibration batch (:func:`collect_importance`):

- attention head h of a block: mean over tokens of the L2 norm of its contribution to the residual stream,
  ``|| z_h W_o[:, h]^T ||`` (z_h the head's output entering ``o_proj``); a KV group scores the sum of its heads;
- FFN neuron j of every SwiGLU (``w1, w3, w2``; each MoGE expert and the shared expert): mean ``|a_j|`` times
  ``|| w2[:, j] ||``, a_j the input of ``w2``;
- hidden channel c (width): mean ``|x_c|`` of the outputs of every block norm (``norm1``, ``norm2``);
- layer: block influence ``1 - cos(h_in, h_out)`` averaged over tokens.

Pruning removes the lowest-scoring units in place: heads (:func:`prune_heads_`), FFN neurons
(:func:`prune_ffn_neurons_`), hidden width (:func:`prune_width_`, with SLNP: every RMSNorm gain vector left is rescaled
to the L2 norm it had before pruning) and layers (:func:`prune_layers_`, with CLAP: the KV groups of a removed layer
compete with those of its retained neighbour, and the neighbour keeps its number of groups, taking the best ones of
the union together with their query heads and ``o_proj`` columns). torch.nn.utils.prune only masks weights (it does
not shrink layers), so the structural surgery is written here.
"""
from typing import Callable, Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn

Importance = Dict[str, Union[List[torch.Tensor], List[Dict[str, torch.Tensor]], torch.Tensor]]


# -- small in-place surgery helpers -----------------------------------------------------------------------------------
def _set_weight(module: nn.Module, name: str, new: torch.Tensor, memo: dict) -> None:
    """Replace ``module.<name>`` by a Parameter holding ``new``; parameters shared before stay shared (``memo``)."""
    old = getattr(module, name)
    if id(old) not in memo:
        memo[id(old)] = nn.Parameter(new.contiguous(), requires_grad=old.requires_grad)
    setattr(module, name, memo[id(old)])


def _keep_out_(lin: nn.Linear, idx: torch.Tensor, memo: dict) -> None:
    _set_weight(lin, 'weight', lin.weight.data[idx], memo)
    if lin.bias is not None:
        _set_weight(lin, 'bias', lin.bias.data[idx], memo)
    lin.out_features = len(idx)


def _keep_in_(lin: nn.Linear, idx: torch.Tensor, memo: dict) -> None:
    _set_weight(lin, 'weight', lin.weight.data[:, idx], memo)
    lin.in_features = len(idx)


def slnp_prune_norm_(norm: nn.Module, idx: torch.Tensor, memo: Optional[dict] = None, slnp: bool = True) -> None:
    """Keep channels ``idx`` of a norm's gain vector (D,); with SLNP rescale them to the original vector's L2 norm."""
    memo = {} if memo is None else memo
    weight = norm.weight.data
    kept = weight[idx]
    if slnp:
        kept = kept * (weight.norm() / kept.norm().clamp_min(1e-12))
    _set_weight(norm, 'weight', kept, memo)
    if getattr(norm, 'bias', None) is not None:
        _set_weight(norm, 'bias', norm.bias.data[idx], memo)
    if hasattr(norm, 'normalized_shape'):
        norm.normalized_shape = (len(idx), )


def _swiglus(ffn: nn.Module) -> Dict[str, nn.Module]:
    """SwiGLU-like submodules (having ``w1, w2, w3``) of a feed-forward, by relative name ('' for the ffn itself)."""
    return {name: m for name, m in ffn.named_modules() if all(hasattr(m, w) for w in ('w1', 'w2', 'w3'))}


def _blocks(model: nn.Module) -> nn.ModuleList:
    blocks = getattr(model, 'blocks', None)
    if not isinstance(blocks, nn.ModuleList):
        raise TypeError(f'{type(model).__name__} does not follow the GPT protocol: no nn.ModuleList `blocks`')
    return blocks


def _output(out):
    return out[0] if isinstance(out, (tuple, list)) else out


# -- importance -------------------------------------------------------------------------------------------------------
@torch.no_grad()
def collect_importance(model: nn.Module, calib, forward: Optional[Callable] = None) -> Importance:
    """Activation-based importance on a calibration batch.

    Args:
        model: a GPT-protocol model. calib: its calibration input(s), or a list of them (each one forward).
        forward: ``forward(model, inputs)``; default ``model(inputs)``.

    Returns a dict: ``heads`` [L x (H,)], ``kv_groups`` [L x (Hkv,)], ``neurons`` [L x {swiglu name: (F,)}],
    ``channels`` (D,), ``layers`` (L,).
    """
    blocks = _blocks(model)
    forward = forward or (lambda m, x: m(x))
    sums: Dict[tuple, torch.Tensor] = {}
    counts: Dict[tuple, int] = {}

    def add(key, value, n):
        sums[key] = sums.get(key, 0) + value.double()
        counts[key] = counts.get(key, 0) + n

    handles = []
    for i, block in enumerate(blocks):
        attn = block.attn

        def head_hook(mod, args, i=i, attn=attn):
            z = args[0].reshape(-1, attn.num_heads, attn.head_dim)
            w = mod.weight.view(mod.out_features, attn.num_heads, attn.head_dim)
            contrib = torch.einsum('nhd,ehd->nhe', z.float(), w.float()).norm(dim=-1)  # (N, H)
            add(('heads', i), contrib.sum(0), z.shape[0])

        handles.append(attn.o_proj.register_forward_pre_hook(head_hook))
        for name, mlp in _swiglus(block.ffn).items():

            def neuron_hook(mod, args, i=i, name=name):
                a = args[0].reshape(-1, mod.in_features).float()
                add(('neurons', i, name), a.abs().sum(0) * mod.weight.float().norm(dim=0), a.shape[0])

            handles.append(mlp.w2.register_forward_pre_hook(neuron_hook))
        for norm_name in ('norm1', 'norm2'):

            def channel_hook(mod, args, out):
                x = out.reshape(-1, out.shape[-1]).float()
                add(('channels', ), x.abs().sum(0), x.shape[0])

            handles.append(getattr(block, norm_name).register_forward_hook(channel_hook))

        def layer_hook(mod, args, out, i=i):
            h_in, h_out = args[0].float(), _output(out).float()
            cos = torch.nn.functional.cosine_similarity(h_in, h_out, dim=-1).reshape(-1)
            add(('layers', i), (1 - cos).sum(), cos.numel())

        handles.append(block.register_forward_hook(layer_hook))
    was_training = model.training
    model.eval()
    try:
        for inputs in (calib if isinstance(calib, list) else [calib]):
            forward(model, inputs)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    mean = {k: (v / counts[k]).float() for k, v in sums.items()}
    heads = [mean[('heads', i)] for i in range(len(blocks))]
    groups = [s.view(b.attn.num_kv_heads, -1).sum(1) for s, b in zip(heads, blocks)]
    # A MoGE expert that no calibration token was routed to scores 0 everywhere.
    neurons = [{name: mean.get(('neurons', i, name), torch.zeros(mlp.w2.in_features))
                for name, mlp in _swiglus(b.ffn).items()} for i, b in enumerate(blocks)]
    layers = torch.stack([mean[('layers', i)] for i in range(len(blocks))])
    return dict(heads=heads, kv_groups=groups, neurons=neurons, channels=mean[('channels', )], layers=layers)


def _top(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k largest scores, in ascending index order."""
    return scores.topk(k).indices.sort().values


# -- heads ------------------------------------------------------------------------------------------------------------
def _head_rows(heads: torch.Tensor, head_dim: int) -> torch.Tensor:
    return (heads[:, None] * head_dim + torch.arange(head_dim, device=heads.device)).flatten()


@torch.no_grad()
def prune_heads_(model: nn.Module, importance: Importance, num_heads: int) -> None:
    """Keep ``num_heads`` query heads per block. With grouped KV (H / Hkv > 1) and ``num_heads`` a multiple of Hkv,
    the best ``num_heads / Hkv`` query heads of every KV group are kept; otherwise whole KV groups (with their query
    heads) are kept by group score, which needs ``num_heads`` to be a multiple of H / Hkv."""
    memo = {}
    for block, scores in zip(_blocks(model), importance['heads']):
        attn = block.attn
        h, hkv, dh = attn.num_heads, attn.num_kv_heads, attn.head_dim
        per_group = h // hkv
        if num_heads >= h:
            continue
        if per_group > 1 and num_heads % hkv == 0:
            keep_q = torch.cat([g * per_group + _top(scores.view(hkv, per_group)[g], num_heads // hkv)
                                for g in range(hkv)])
            keep_kv = torch.arange(hkv)
        elif num_heads % per_group == 0:
            keep_kv = _top(scores.view(hkv, per_group).sum(1), num_heads // per_group)
            keep_q = (keep_kv[:, None] * per_group + torch.arange(per_group)).flatten()
        else:
            raise ValueError(f'cannot keep {num_heads} of {h} heads with {hkv} KV groups: use a multiple of {hkv} '
                             f'(heads per group) or of {per_group} (whole groups)')
        _keep_out_(attn.q_proj, _head_rows(keep_q, dh), memo)
        _keep_out_(attn.k_proj, _head_rows(keep_kv, dh), memo)
        _keep_out_(attn.v_proj, _head_rows(keep_kv, dh), memo)
        _keep_in_(attn.o_proj, _head_rows(keep_q, dh), memo)
        attn.num_heads, attn.num_kv_heads = len(keep_q), len(keep_kv)


# -- FFN neurons ------------------------------------------------------------------------------------------------------
@torch.no_grad()
def prune_ffn_neurons_(model: nn.Module, importance: Importance, keep_ratio: float) -> None:
    """Keep the best ``round(keep_ratio * F)`` hidden neurons of every SwiGLU (each MoGE expert separately)."""
    if not 0 < keep_ratio <= 1:
        raise ValueError(f'keep_ratio must be in (0, 1], got {keep_ratio}')
    memo = {}
    for block, neuron_scores in zip(_blocks(model), importance['neurons']):
        for name, mlp in _swiglus(block.ffn).items():
            if name not in neuron_scores:
                raise KeyError(f'no neuron importance for ffn{"." + name if name else ""}: the importance was '
                               'collected on another model')
            scores = neuron_scores[name]
            keep = _top(scores, max(1, round(keep_ratio * scores.numel())))
            _keep_out_(mlp.w1, keep, memo)
            _keep_out_(mlp.w3, keep, memo)
            _keep_in_(mlp.w2, keep, memo)
        if hasattr(block.ffn, 'hidden_dim') and hasattr(block.ffn, 'experts'):
            block.ffn.hidden_dim = block.ffn.experts[0].w1.out_features


# -- width ------------------------------------------------------------------------------------------------------------
def _outside_width_modules(model: nn.Module, dim: int) -> dict:
    """Modules outside the blocks that touch the hidden width D: ``embeddings``, ``norms`` (a gain vector (D,)),
    ``readers`` (Linear D -> *), ``writers`` (Linear * -> D) and ``vectors`` ((module, name) of other parameters whose
    last dimension is D, e.g. a learned null embedding or position table). A model may say it itself with a
    ``pruning_spec()`` method returning that dict."""
    if callable(getattr(model, 'pruning_spec', None)):
        return dict(dict(embeddings=[], norms=[], readers=[], writers=[], vectors=[]), **model.pruning_spec())
    inside = {id(m) for m in _blocks(model).modules()}
    spec = dict(embeddings=[], norms=[], readers=[], writers=[], vectors=[])
    for name, m in model.named_modules():
        if id(m) in inside:
            continue
        if isinstance(m, nn.Embedding):
            if m.embedding_dim == dim:
                spec['embeddings'].append(m)
        elif isinstance(m, nn.Linear):
            if m.in_features == dim and m.out_features == dim:
                raise ValueError(f'{name}: a {dim} -> {dim} Linear outside the blocks is ambiguous for width '
                                 'pruning; give the model a pruning_spec() method')
            if m.in_features == dim:
                spec['readers'].append(m)
            elif m.out_features == dim:
                spec['writers'].append(m)
        elif isinstance(getattr(m, 'weight', None), torch.Tensor) and m.weight.shape == (dim, ) \
                and isinstance(m, (nn.RMSNorm, nn.LayerNorm)):
            spec['norms'].append(m)
        else:
            spec['vectors'] += [(m, n) for n, p in m.named_parameters(recurse=False) if p.shape[-1] == dim]
    return spec


@torch.no_grad()
def prune_width_(model: nn.Module, importance: Importance, dim: int, slnp: bool = True) -> None:
    """Keep the ``dim`` best hidden channels everywhere (embedding columns, every norm, q/k/v and FFN input
    columns, o_proj / w2 output rows, LM head columns); with ``slnp`` every remaining norm gain vector is rescaled to
    its original L2 norm (SLNP)."""
    scores = importance['channels']
    if not 0 < dim <= scores.numel():
        raise ValueError(f'width must be in [1, {scores.numel()}], got {dim}')
    keep = _top(scores, dim)
    old_dim = scores.numel()
    memo = {}
    spec = _outside_width_modules(model, old_dim)
    for emb in spec['embeddings']:
        _set_weight(emb, 'weight', emb.weight.data[:, keep], memo)
        emb.embedding_dim = dim
    for norm in spec['norms']:
        slnp_prune_norm_(norm, keep, memo, slnp)
    for lin in spec['readers']:
        _keep_in_(lin, keep, memo)
    for lin in spec['writers']:
        _keep_out_(lin, keep, memo)
    for module, name in spec['vectors']:
        _set_weight(module, name, getattr(module, name).data[..., keep], memo)
    for block in _blocks(model):
        for name in ('norm1', 'norm2', 'post_norm1', 'post_norm2'):
            if getattr(block, name, None) is not None:
                slnp_prune_norm_(getattr(block, name), keep, memo, slnp)
        attn = block.attn
        for lin in (attn.q_proj, attn.k_proj, attn.v_proj):
            _keep_in_(lin, keep, memo)
        _keep_out_(attn.o_proj, keep, memo)
        for name, m in block.ffn.named_modules():
            if isinstance(m, nn.Linear):
                if name.split('.')[-1] == 'w2':
                    _keep_out_(m, keep, memo)
                elif m.in_features == old_dim:
                    _keep_in_(m, keep, memo)
        if hasattr(block.ffn, 'dim'):
            block.ffn.dim = dim
    if hasattr(model, 'dim'):
        model.dim = dim


# -- depth with CLAP --------------------------------------------------------------------------------------------------
@torch.no_grad()
def clap_merge_(target: nn.Module, target_groups: torch.Tensor, source: nn.Module,
                source_groups: torch.Tensor) -> torch.Tensor:
    """CLAP: the target attention keeps its number of KV groups, choosing the best of its own groups and those of
    ``source`` (a removed layer's attention) by score; a chosen group brings its K/V rows, its query heads' rows and
    their o_proj columns. Both need the same head_dim and heads per group. Returns the merged group scores."""
    dh, per_group = target.head_dim, target.num_heads // target.num_kv_heads
    if source.head_dim != dh or source.num_heads // source.num_kv_heads != per_group:
        raise ValueError('CLAP needs the same head_dim and query heads per KV group in both layers')
    hkv = target.num_kv_heads
    scores = torch.cat([target_groups, source_groups])
    best = scores.topk(hkv).indices.sort().values
    kv_rows, q_rows = [], []
    for g in best.tolist():
        attn, g_local = (target, g) if g < hkv else (source, g - hkv)
        kv_rows.append((attn, _head_rows(torch.tensor([g_local]), dh)))
        q_rows.append((attn, _head_rows(torch.arange(g_local * per_group, (g_local + 1) * per_group), dh)))
    q = torch.cat([a.q_proj.weight.data[r] for a, r in q_rows])
    k = torch.cat([a.k_proj.weight.data[r] for a, r in kv_rows])
    v = torch.cat([a.v_proj.weight.data[r] for a, r in kv_rows])
    o = torch.cat([a.o_proj.weight.data[:, r] for a, r in q_rows], dim=1)
    memo = {}
    _set_weight(target.q_proj, 'weight', q, memo)
    _set_weight(target.k_proj, 'weight', k, memo)
    _set_weight(target.v_proj, 'weight', v, memo)
    _set_weight(target.o_proj, 'weight', o, memo)
    return scores[best]


@torch.no_grad()
def prune_layers_(model: nn.Module, importance: Importance, num_layers: int, clap: bool = True,
                  neighbour: str = 'next') -> List[int]:
    """Keep the ``num_layers`` blocks of highest block influence; with ``clap`` each removed block's KV groups are
    merged (:func:`clap_merge_`) into its nearest retained block, the ``neighbour`` ('next' or 'prev') side first.
    Returns the removed block indices."""
    blocks = _blocks(model)
    if not 0 < num_layers <= len(blocks):
        raise ValueError(f'num_layers must be in [1, {len(blocks)}], got {num_layers}')
    if neighbour not in ('next', 'prev'):
        raise ValueError(f"neighbour must be 'next' or 'prev', got {neighbour!r}")
    keep = set(_top(importance['layers'], num_layers).tolist())
    removed = sorted(set(range(len(blocks))) - keep)
    if clap:
        groups = {i: importance['kv_groups'][i].clone() for i in keep}
        for r in removed:
            after = [i for i in sorted(keep) if i > r]
            before = [i for i in sorted(keep) if i < r]
            order = (after[:1] + before[-1:]) if neighbour == 'next' else (before[-1:] + after[:1])
            target = order[0]
            groups[target] = clap_merge_(blocks[target].attn, groups[target], blocks[r].attn,
                                         importance['kv_groups'][r])
    model.blocks = nn.ModuleList(blocks[i] for i in sorted(keep))
    for attr in ('num_layers', 'depth'):  # the depth attribute of the reference LM / the IGTR transformer
        if isinstance(getattr(model, attr, None), int):
            setattr(model, attr, num_layers)
    return removed


# -- all together -----------------------------------------------------------------------------------------------------
def prune_model_(model: nn.Module, calib, num_heads: Optional[int] = None, ffn_keep_ratio: Optional[float] = None,
                 dim: Optional[int] = None, num_layers: Optional[int] = None, clap: bool = True, slnp: bool = True,
                 forward: Optional[Callable] = None) -> Dict[str, Sequence]:
    """Prune depth, heads, FFN neurons and width (in that order, importance re-measured on ``calib`` before each
    step). Returns ``removed_layers``."""
    removed: List[int] = []
    if num_layers is not None:
        removed = prune_layers_(model, collect_importance(model, calib, forward), num_layers, clap=clap)
    if num_heads is not None:
        prune_heads_(model, collect_importance(model, calib, forward), num_heads)
    if ffn_keep_ratio is not None:
        prune_ffn_neurons_(model, collect_importance(model, calib, forward), ffn_keep_ratio)
    if dim is not None:
        prune_width_(model, collect_importance(model, calib, forward), dim, slnp=slnp)
    return dict(removed_layers=removed)
