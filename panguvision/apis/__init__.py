from .inference import inference_sr, init_model, resolve_device

__all__ = ['init_model', 'inference_sr', 'resolve_device']
