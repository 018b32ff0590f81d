from .sr_visualizer import SRVisualizer, side_by_side, tensor_to_uint8_image

__all__ = ['SRVisualizer', 'side_by_side', 'tensor_to_uint8_image']
