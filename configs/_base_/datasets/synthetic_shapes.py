# Synthetic coloured shapes (circle / square / triangle on plain backgrounds, 24x24), drawn in memory from a seed:
# 2000 training images, 150 held-out images with a different seed.
image_size = 24
train_pipeline = [dict(type='PackGenerationInputs')]
test_pipeline = [dict(type='PackGenerationInputs')]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='SyntheticShapesDataset', num_samples=2000, image_size=image_size, seed=0,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=50,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticShapesDataset', num_samples=150, image_size=image_size, seed=1, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
