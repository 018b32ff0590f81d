# EAM on a LOCAL Stable Diffusion 3 medium folder (set model.pretrained_path), trained on LSDIR + FFHQ with the
# Real-ESRGAN degradation (512x512 HR crops -> 64x64 latents), tested on RealSR. mmengine's FlexibleRunner with
# FSDPStrategy: parameters sharded across GPUs, bf16 mixed precision, activation checkpointing of every Psi-DiT block.
# Launch (tools/train.py honours runner_type):
#   bash tools/dist_train.sh configs/eam/eam_sd3-medium_x4_lsdir-ffhq_fsdp.py 8 \
#       --cfg-options model.pretrained_path=/path/to/stable-diffusion-3-medium-diffusers
#   GPUS=8 bash tools/slurm_train.sh PARTITION eam configs/eam/eam_sd3-medium_x4_lsdir-ffhq_fsdp.py WORK_DIR
# Frozen and trainable parameters share FSDP units, hence use_orig_params=True. Units: the Psi-DiT, and the rest.
_base_ = [
    '../_base_/models/eam_sd3_medium.py', '../_base_/datasets/realesrgan_lsdir_ffhq_x4.py',
    '../_base_/default_runtime.py'
]
train_dataloader = dict(batch_size=2, num_workers=8)  # per GPU
runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(
        type='MMFullyShardedDataParallel',
        use_orig_params=True,
        auto_wrap_policy='eam_fsdp_wrap_policy',  # the Psi-DiT one unit (see its docstring for why not finer)
        mixed_precision=dict(param_dtype='bfloat16', reduce_dtype='float32', buffer_dtype='bfloat16')),
    state_dict_cfg='full',  # one checkpoint file, loadable by the plain Runner (tools/test.py, the demo)
    activation_checkpointing=dict(check_fn='eam_checkpoint_lr_stream'))
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-5, weight_decay=1e-2),
                     clip_grad=dict(max_norm=1.0))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1000),
    dict(type='ConstantLR', factor=1.0, by_epoch=False, begin=1000)
]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=5000, max_keep_ckpts=3))
