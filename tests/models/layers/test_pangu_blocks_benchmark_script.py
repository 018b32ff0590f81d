"""tools/analysis_tools/pangu_blocks_benchmark.py runs end to end (tiny sizes) and reports consistent numbers."""
import json

import pytest


@pytest.mark.slow
def test_pangu_blocks_benchmark_quick(run_tool, tmp_path):
    out = tmp_path / 'bench.json'
    run_tool('tools/analysis_tools/pangu_blocks_benchmark.py', '--quick', '--repeat', '1', '--out', out)
    result = json.loads(out.read_text())
    moge = result['moge']
    assert moge['group_calls_per_token_min'] == moge['group_calls_per_token_max'] == moge['top_k'] // 4
    assert moge['moge_active_params'] < moge['moge_params']
    assert moge['dense_params'] == 3 * moge['dim'] * moge['expert_hidden'] * (moge['top_k'] + 1)
    esa = result['esa']['512']
    assert esa['esa_prefill_attended_pairs'] < esa['full_prefill_attended_pairs']
    assert esa['esa_decode_attended_keys'] == 4 + 32 + 32 + 1
    names = ('dssn_tinyinit', 'prenorm_torch_init', 'prenorm_normal_0.02')
    assert set(result['dssn']) == {f'{n}_L{d}' for n in names for d in (4, 16)}
    pruned = result['pruning']['pruned']
    assert all(row['params'] < result['pruning']['params'] for row in pruned.values())
    assert all(row['logit_rel_change'] > 0 for row in pruned.values())
