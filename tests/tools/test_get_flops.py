"""tools/analysis_tools/get_flops.py: FLOPs/params table; default shape = the input of a 1280x720 output."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
GET_FLOPS = 'tools/analysis_tools/get_flops.py'


def test_explicit_shape_parameter_free(run_tool):
    proc = run_tool(GET_FLOPS, REPO_ROOT / 'configs/bicubic/bicubic_x4_set5.py', '--shape', 8, 12)
    assert 'Input shape:  3x8x12' in proc.stdout and 'Output shape: 3x32x48' in proc.stdout
    assert 'Params:       0 (0)' in proc.stdout and 'FLOPs:' in proc.stdout


def test_default_shape_gives_720p_output(run_tool, tmp_path):
    cfg = tmp_path / 'hit_srf_tiny_x2.py'
    cfg.write_text(f"_base_ = ['{REPO_ROOT}/configs/hit_sr/hit_srf_x2_div2k.py']\n"
                   "model = dict(generator=dict(embed_dim=6, depths=[1], num_heads=[1]), pixel_loss=None)\n")
    proc = run_tool(GET_FLOPS, cfg)
    out = proc.stdout
    assert 'Input shape:  3x360x640' in out and 'Output shape: 3x720x1280' in out, out
    assert 'HiTSRF (x2)' in out
    params = int(out.split('Params:')[1].split('(')[1].split(')')[0].replace(',', ''))
    assert params > 0
    assert 'never called during the trace' not in proc.stdout + proc.stderr
