"""UniDepth (V1) universal monocular metric depth: encoders, camera / depth decoder, losses, geometry."""
from .decoder import UniDepthV1Decoder
from .encoders import TimmConvNeXtEncoder, TimmViTEncoder
from .losses import CameraRayLoss, GeometricInvarianceLoss, SILogLoss, warp_between_views
from .unidepth import UniDepthV1

__all__ = [
    'CameraRayLoss', 'GeometricInvarianceLoss', 'SILogLoss', 'TimmConvNeXtEncoder', 'TimmViTEncoder', 'UniDepthV1',
    'UniDepthV1Decoder', 'warp_between_views'
]
