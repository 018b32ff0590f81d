# tiny_eam under mmengine's FlexibleRunner with FSDPStrategy on CPU / gloo (2 processes, the distributed smoke test).
# FSDPStrategy passes device_id=LOCAL_RANK (a CUDA index); device_id='cpu' overrides it for CPU runs.
_base_ = ['./tiny_eam.py']
runner_type = 'FlexibleRunner'
strategy = dict(
    type='FSDPStrategy',
    model_wrapper=dict(type='MMFullyShardedDataParallel', use_orig_params=True, device_id='cpu',
                       auto_wrap_policy='eam_fsdp_wrap_policy'),
    state_dict_cfg='full',  # one checkpoint file, loadable by the plain Runner (tools/test.py, the demo)
    activation_checkpointing=dict(check_fn='eam_checkpoint_lr_stream'))
optim_wrapper = dict(type='OptimWrapper')
