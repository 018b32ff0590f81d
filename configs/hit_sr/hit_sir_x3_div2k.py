_base_ = [
    '../_base_/models/hit_sir.py', '../_base_/datasets/div2k_set5_x3.py', '../_base_/schedules/sr_iter500k.py',
    '../_base_/default_runtime.py'
]
model = dict(generator=dict(upscale=3))
# Paper: batch 64 in total (16 per device on 4 devices).
auto_scale_lr = dict(enable=False, base_batch_size=64)
# The paper fine-tunes x3 from the x2 model (the upsampler's shape differs and is re-initialised):
# load_from = 'work_dirs/hit_sir_x2_div2k/iter_500000.pth'
load_from = None
