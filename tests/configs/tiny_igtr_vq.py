# A very small VQ tokenizer on 24x24 synthetic shapes (6x6 tokens), for the train / test tool tests.
_base_ = ['../../configs/igtr/vq_tiny_synthetic_shapes.py']
model = dict(ch=8, z_channels=8, codebook_size=32)
train_dataloader = dict(batch_size=4, dataset=dict(num_samples=16))
val_dataloader = dict(batch_size=4, dataset=dict(num_samples=4))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1))
