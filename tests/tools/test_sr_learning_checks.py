"""tools/misc/eam_learning_check.py and tools/misc/dspo_learning_check.py: the binomial interval of the DSPO win rate
and a few-iteration run of both checks end to end (their JSON agrees with itself and with the exit status)."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / 'misc' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wilson_interval():
    wilson = _load('dspo_learning_check').wilson
    low, high = wilson(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    low, high = wilson(96, 96)
    assert high == pytest.approx(1.0) and 0.95 < low < 0.97
    low, high = wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and 0.27 < high < 0.28


def test_selection_splits_use_the_training_photographs_degraded_afresh():
    from mmengine.config import Config
    cfg = Config.fromfile(str(ROOT / 'configs' / 'eam' / 'eam_tiny_x4_realesrgan_builtin.py'))
    held_out = cfg.test_dataloader.dataset
    for ds in (_load('dspo_learning_check').eval_dataset_cfg(cfg, 'select'),
               _load('eam_learning_check').selection_dataset_cfg(cfg, 777)):
        assert ds.dataset['split'] == 'train' and ds.seed == 777 and ds.seed != held_out.seed
    assert _load('dspo_learning_check').eval_dataset_cfg(cfg, 'test') == held_out
    assert held_out.dataset['split'] == 'val'  # the configs' own test set is untouched


def test_dspo_selection_photographs_are_held_back_from_the_preference_data():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from panguvision.datasets.sr_dataset import BUILTIN_PHOTO_SPLITS
    from panguvision.registry import DATASETS
    dspo = _load('dspo_learning_check')
    train = BUILTIN_PHOTO_SPLITS['train']
    prefs, select = dspo.photo_split(','.join(dspo.DEFAULT_SELECT_PHOTOS))
    assert [train[i] for i in select] == ['coffee', 'camera'] and len(prefs) == 5
    assert sorted(prefs + select) == list(range(7)) and not set(prefs) & set(select)
    assert dspo.photo_split(['camera', 'coffee']) == (prefs, select)
    assert dspo.photo_split('') == (list(range(7)), list(range(7)))  # the old protocol: all 7 for both
    for bad in ('chelsea', 'coffee,coffee', ','.join(train)):
        with pytest.raises(ValueError):
            dspo.photo_split(bad)
    assert dspo.parse_args(['--eam-dir', 'x']).select_photos == 'coffee,camera'
    assert dspo.parse_args(['--eam-dir', 'x']).test_crops == 8
    assert dspo.parse_args(['--eam-dir', 'x', '--eval-split', 'select']).test_crops == 16

    cfg = Config.fromfile(str(ROOT / 'configs' / 'eam' / 'eam_tiny_x4_realesrgan_builtin.py'))
    init_default_scope('panguvision')
    training = DATASETS.build(dspo.training_dataset_cfg(cfg, prefs))
    selection = DATASETS.build(dspo.eval_dataset_cfg(cfg, 'select', select))
    seen = {training.get_data_info(i)['img_id'] for i in range(20)}
    assert seen == {train[i] for i in prefs}
    assert [selection.get_data_info(i)['img_id'] for i in range(len(selection))] == ['coffee', 'camera']
    # the held-out split ignores the selection photographs; all 7 leave the configs unchanged
    assert dspo.eval_dataset_cfg(cfg, 'test', select) == cfg.test_dataloader.dataset
    assert dspo.training_dataset_cfg(cfg, list(range(7))) == cfg.train_dataloader.dataset


@pytest.mark.slow
def test_both_checks_run_and_report_consistently(run_tool, tmp_path):
    pytest.importorskip('diffusers', reason='EAM builds on diffusers')
    eam = tmp_path / 'eam'
    proc = run_tool('tools/misc/eam_learning_check.py', '--vae-iters', 2, '--base-iters', 2, '--iters', 2,
                    '--batch-size', 2, '--steps', 1, 2, '--start-sigmas', 1.0, 0.5, '--num-samples', 1, 2,
                    '--colour-fix-levels', 0, 2, '--crop', 64, '--out', eam, cwd=ROOT, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    res = json.loads((eam / 'result.json').read_text())
    assert res['psi_dit_minus_base_at_init'] == 0.0  # Psi-DiT on the trained base starts as the base model
    # (1 step, 1.0), (2 steps, 1.0), (2 steps, 0.5), each with 1 and 2 averaged samples, without and with a 2-level
    # colour fix; one step cannot start below pure noise
    keys = {'1steps@1.0', '2steps@1.0', '2steps@0.5'}
    keys |= {k + 'x2' for k in keys}
    keys |= {k + '+cf2' for k in keys}
    assert {k.split('@', 1)[1] for k in res if k.startswith('eam_psnr@')} == keys
    chosen = f"{res['selected_steps']}steps@{res['selected_start_sigma']}"
    chosen += 'x2' if res['selected_num_samples'] == 2 else ''
    chosen += '+cf2' if res['selected_colour_fix'] == 2 else ''
    assert chosen in keys and res['selection']['images'] == 'train photographs'
    best = max(res['selection'][f'eam_psnr@{k}'] for k in keys)
    assert res['selection'][f'eam_psnr@{chosen}'] == best
    # --reuse --reuse-psi: the same VAE, base and Psi-DiT, evaluated again: the same numbers
    again = tmp_path / 'again'
    run_tool('tools/misc/eam_learning_check.py', '--reuse', eam, '--reuse-psi', '--steps', 2, '--start-sigmas', 0.5,
             '--num-samples', 1, '--crop', 64, '--out', again, cwd=ROOT, check=False)
    res2 = json.loads((again / 'result.json').read_text())
    assert res2['eam_psnr@2steps@0.5'] == res['eam_psnr@2steps@0.5'] and 'vae_train_s' not in res2
    assert res['beats_bicubic'] == (res['eam_psnr_selected'] > res['bicubic_psnr'])
    assert proc.returncode == (0 if res['beats_bicubic'] and res['vae_above_bicubic'] else 1)
    assert len(res['per_image']) == 3 and 'follows_lr_margin@2steps@1.0' in res
    assert (eam / 'eam_tiny.pth').is_file() and (eam / 'eam_tiny_trained.py').is_file()
    dspo = tmp_path / 'dspo'
    proc = run_tool('tools/misc/dspo_learning_check.py', '--eam-dir', eam, '--train-images', 2, '--num-samples', 2,
                    '--iters', 2, '--batch-size', 1, '--test-crops', 1, '--test-size', 64, '--seeds', 2,
                    '--out', dspo, cwd=ROOT, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    res = json.loads((dspo / 'result.json').read_text())
    assert res['n_pairs'] == 3 * 1 * 2 and res['preference_records'] >= 1
    low, high = res['win_rate_ci95']
    assert low <= res['win_rate'] <= high
    assert proc.returncode == (0 if low > 0.5 else 1)
