# tiny_hit_srf_x2.py where every rank dumps its final weights (tests/engine/train_test_hooks.py on PYTHONPATH).
_base_ = ['./tiny_hit_srf_x2.py']
custom_imports = dict(imports=['panguvision.engine', 'train_test_hooks'], allow_failed_imports=False)
custom_hooks = [dict(type='RNGStateHook'), dict(type='DumpWeightsHook')]
train_cfg = dict(max_iters=4)
