from .depth_inference import inference_depth
from .inference import inference_sr, init_model, resolve_device
from .mot_inference import config_resize_scale, init_mot_model, mot_rows, track_frames

__all__ = ['init_model', 'inference_sr', 'resolve_device']
__all__ += ['inference_depth']
__all__ += ['config_resize_scale', 'init_mot_model', 'mot_rows', 'track_frames']
