"""Framework-free metric computations on numpy arrays."""
from .depth_metrics import DEPTH_CROPS, DEPTH_METRIC_KEYS, clip_depth, crop_box, depth_errors, eval_mask, evaluate_depth
from .image_quality import psnr, rgb2ycbcr, ssim
from .mot_eval import evaluate_mot
from .mot_io import read_mot_txt, read_seqinfo, write_mot_txt
from .niqe import fit_niqe_model, load_niqe_params, niqe

__all__ = ['psnr', 'rgb2ycbcr', 'ssim', 'read_mot_txt', 'read_seqinfo', 'write_mot_txt', 'evaluate_mot',
           'DEPTH_CROPS', 'DEPTH_METRIC_KEYS', 'clip_depth', 'crop_box', 'depth_errors', 'eval_mask', 'evaluate_depth']
__all__ += ['fit_niqe_model', 'load_niqe_params', 'niqe']
