from .depth_visualization import colorize_depth, write_point_cloud_ply
from .mot_visualization import TrackTrails, draw_tracks, id_color
from .sr_visualizer import SRVisualizer, enlarge_nearest, side_by_side

__all__ = ['SRVisualizer', 'enlarge_nearest', 'side_by_side']
__all__ += ['colorize_depth', 'write_point_cloud_ply']
__all__ += ['TrackTrails', 'draw_tracks', 'id_color']
