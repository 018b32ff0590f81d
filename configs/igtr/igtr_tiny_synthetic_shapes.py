# Tiny IGTR with reasoning prompts on the synthetic shapes; set model.tokenizer_ckpt to the tiny VQ checkpoint
# (tools/misc/igtr_learning_check.py does). Evaluation: token NLL and prompt consistency of 150 held-out requests.
_base_ = ['../_base_/models/igtr_tiny.py', '../_base_/datasets/synthetic_shapes.py', '../_base_/default_runtime.py']
train_dataloader = dict(dataset=dict(pipeline=[dict(type='PackGenerationInputs', with_gt=False)]))
val_evaluator = [dict(type='GenerationMetric')]
test_evaluator = val_evaluator
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=500, val_interval=100000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.95), weight_decay=0.05),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='LinearLR', by_epoch=False, start_factor=0.1, begin=0, end=50),
                   dict(type='CosineAnnealingLR', by_epoch=False, T_max=450, begin=50, end=500, eta_min=1e-4)]
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=100000))
randomness = dict(seed=0)
