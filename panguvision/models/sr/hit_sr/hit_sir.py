"""HiT-SIR: SwinIR-Light converted to a hierarchical transformer (HiT-SR, Zhang et al., ECCV 2024).

State-dict keys and shapes follow the official release (github.com/XiangZ-0/HiT-SR,
``basicsr/archs/hit_sir_arch.py``, class ``HiT_SIR``) so the authors' weights load unchanged.
"""
from panguvision.registry import MODELS
from .layers import SCC, HiTSRBase, Mlp


@MODELS.register_module()
class HiTSIR(HiTSRBase):
    """HiT-SIR network: SCC blocks with a plain MLP feed-forward.

    ``forward(x)``: x (N, 3, H, W) float RGB in [0, 1] -> (N, 3, H * upscale, W * upscale). Each block reflect-pads
    the map to a multiple of its window (repeated reflection when the pad exceeds the map, so any H, W >= 1 works;
    the reference code raises for maps smaller than a window). Constructor arguments: see :class:`HiTSRBase`.
    """

    block_kwargs = dict(scc_cls=SCC, ffn_cls=Mlp, pad_factor=1)
