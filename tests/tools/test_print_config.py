"""tools/analysis_tools/print_config.py: prints the merged config with --cfg-options applied."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_print_merged_config(run_tool, tmp_path):
    saved = tmp_path / 'merged.py'
    proc = run_tool('tools/analysis_tools/print_config.py', REPO_ROOT / 'configs/hit_sr/hit_srf_x4_div2k.py',
                    '--cfg-options', 'model.generator.embed_dim=12', 'train_cfg.max_iters=7', '--save-path', saved)
    out = proc.stdout
    assert out.startswith('Config:')
    # Values from every _base_ file are present, with the overrides applied.
    for text in ("type='HiTSRF'", 'embed_dim=12', 'max_iters=7', "type='PairedImageDataset'", "type='Adam'",
                 "default_scope = 'panguvision'"):
        assert text in out, f'{text!r} missing from:\n{out}'
    assert 'embed_dim=12' in saved.read_text()
