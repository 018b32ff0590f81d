# HiT-SR training recipe: Adam lr 5e-4 betas (0.9, 0.99), 500k iterations, halved at 250k/400k/450k/475k.
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=500000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=5e-4, betas=(0.9, 0.99), weight_decay=0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, milestones=[250000, 400000, 450000, 475000], gamma=0.5)
]
