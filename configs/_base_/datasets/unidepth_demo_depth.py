# The UniDepth demo sample (one 480x640 indoor RGB image, uint16 mm depth, its K) in the single-sample folder layout;
# shared sample data, not part of the package: override test_dataloader.dataset.data_root if it lives elsewhere.
test_pipeline = [dict(type='LoadDepthInputs', depth_scale=1000.0), dict(type='PackDepthInputs')]
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='DepthFolderDataset', data_root='../shared/data/depth/unidepth_demo', layout='single',
                 depth_scale=1000.0, test_mode=True, pipeline=test_pipeline))
test_evaluator = [dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)]
test_cfg = dict(type='TestLoop')
