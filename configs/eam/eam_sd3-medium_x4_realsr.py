# Inference / evaluation of EAM on SD3 medium (one device, plain Runner): tools/test.py with the trained weights,
#   python tools/test.py configs/eam/eam_sd3-medium_x4_realsr.py WORK_DIR/iter_100000.pth \
#       --cfg-options model.pretrained_path=/path/to/stable-diffusion-3-medium-diffusers
# or the demo: python demo/sr_demo.py photo.png configs/eam/eam_sd3-medium_x4_realsr.py --checkpoint CKPT.
# Large images are denoised in 96x96 latent tiles (768 px) blended at every step (model.test_cfg).
_base_ = [
    '../_base_/models/eam_sd3_medium.py', '../_base_/datasets/realesrgan_lsdir_ffhq_x4.py',
    '../_base_/default_runtime.py'
]
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
