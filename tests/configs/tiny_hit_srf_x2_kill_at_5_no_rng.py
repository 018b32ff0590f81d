# The control of the resume test: killed like tiny_hit_srf_x2_kill_at_5.py, but no RNG state is saved.
_base_ = ['./tiny_hit_srf_x2_kill_at_5.py']
custom_hooks = [dict(type='KillAtIterHook', kill_iter=5)]
