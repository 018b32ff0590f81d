from .sr_visualizer import SRVisualizer, enlarge_nearest, side_by_side

__all__ = ['SRVisualizer', 'enlarge_nearest', 'side_by_side']
