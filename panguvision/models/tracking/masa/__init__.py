"""MASA: Matching Anything by Segmenting Anything (adapter, fusion neck, SAM backbone, tracker, SAM proposals)."""
from panguvision.models.sam_utils import SAM_ENCODER_ARCHS, build_sam_image_encoder, build_sam_model
from .fusion_neck import DeformFusionNeck
from .masa import MASA
from .masa_tracker import MASATracker
from .sam_backbone import SAMImageEncoderBackbone, SimpleFeaturePyramid
from .sam_proposer import SAMAutoMaskProposer, masks_to_instances

__all__ = [
    'DeformFusionNeck', 'MASA', 'MASATracker', 'SAMImageEncoderBackbone', 'SimpleFeaturePyramid',
    'SAMAutoMaskProposer', 'masks_to_instances', 'SAM_ENCODER_ARCHS', 'build_sam_image_encoder', 'build_sam_model'
]
