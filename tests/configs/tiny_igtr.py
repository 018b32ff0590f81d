# A very small IGTR (tokenizer of tests/configs/tiny_igtr_vq.py, 1-layer transformer) for the tool and demo tests.
_base_ = ['../../configs/igtr/igtr_tiny_synthetic_shapes.py']
model = dict(
    tokenizer=dict(ch=8, z_channels=8, codebook_size=32),
    transformer=dict(dim=32, depth=1, num_heads=2, multiple_of=16))
train_dataloader = dict(batch_size=4, dataset=dict(num_samples=16))
val_dataloader = dict(batch_size=4, dataset=dict(num_samples=4))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1))
