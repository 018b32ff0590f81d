# The synthetic-room model of unidepth_v1_tiny_synthetic.py evaluated by DepthMetric (10 m cap) on the real UniDepth
# demo sample (shared data; settings of ../_base_/datasets/unidepth_demo_depth.py). The image is resized to fit 96x128,
# the size the model was trained at. python tools/test.py THIS_CONFIG CKPT [--cfg-options
# model.test_cfg.use_gt_intrinsics=True]
_base_ = ['./unidepth_v1_tiny_synthetic.py']
model = dict(test_cfg=dict(image_shape=(96, 128)))
test_dataloader = dict(
    dataset=dict(_delete_=True, type='DepthFolderDataset', data_root='../shared/data/depth/unidepth_demo',
                 layout='single', depth_scale=1000.0, test_mode=True,
                 pipeline=[dict(type='LoadDepthInputs', depth_scale=1000.0), dict(type='PackDepthInputs')]))
test_evaluator = [dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0)]
