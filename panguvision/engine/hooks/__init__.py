from .rng_state_hook import RNGStateHook
from .sr_visualization_hook import SRVisualizationHook

__all__ = ['RNGStateHook', 'SRVisualizationHook']
