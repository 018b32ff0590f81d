# ESPCN x4 on the built-in photographs, registered from projects/example_project through custom_imports.
_base_ = [
    '../../../configs/_base_/datasets/builtin_photos_x4.py', '../../../configs/_base_/schedules/sr_iter500k.py',
    '../../../configs/_base_/default_runtime.py'
]
custom_imports = dict(imports=['panguvision.engine', 'projects.example_project.espcn'], allow_failed_imports=False)
model = dict(
    type='SRModel',
    generator=dict(type='ESPCN', upscale=4),
    pixel_loss=dict(type='mmdet.L1Loss', loss_weight=1.0))
train_cfg = dict(max_iters=200, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = []
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100))
