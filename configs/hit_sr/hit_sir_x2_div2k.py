_base_ = [
    '../_base_/models/hit_sir.py', '../_base_/datasets/div2k_set5_x2.py', '../_base_/schedules/sr_iter500k.py',
    '../_base_/default_runtime.py'
]
model = dict(generator=dict(upscale=2))
# Paper: batch 64 in total (16 per device on 4 devices).
auto_scale_lr = dict(enable=False, base_batch_size=64)
load_from = None
