from .sr_visualizer import SRVisualizer, side_by_side

__all__ = ['SRVisualizer', 'side_by_side']
