# tiny_hit_srf_x2.py, SIGKILLed after iteration 5 (after the checkpoint of iteration 3). Needs tests/engine on
# PYTHONPATH for the test hooks.
_base_ = ['./tiny_hit_srf_x2.py']
custom_imports = dict(imports=['panguvision.engine', 'train_test_hooks'], allow_failed_imports=False)
custom_hooks = [dict(type='RNGStateHook'), dict(type='KillAtIterHook', kill_iter=5)]
