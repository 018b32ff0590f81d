# The tiny UniDepth of tiny_unidepth.py evaluated by DepthMetric on the UniDepth demo sample (480x640, 10 m cap), the
# dataset settings of configs/_base_/datasets/unidepth_demo_depth.py.
_base_ = ['./tiny_unidepth.py']
model = dict(test_cfg=dict(image_shape=(120, 160)))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='DepthFolderDataset', data_root='../shared/data/depth/unidepth_demo',
                 layout='single', depth_scale=1000.0, test_mode=True,
                 pipeline=[dict(type='LoadDepthInputs', depth_scale=1000.0), dict(type='PackDepthInputs')]))
test_evaluator = [dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)]
