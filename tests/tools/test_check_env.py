"""tools/misc/check_env.py: the report, the OK/FAIL checks and the exit code."""
import importlib.util
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_ENV = 'tools/misc/check_env.py'


def load_check_env():
    spec = importlib.util.spec_from_file_location('check_env_tool', REPO_ROOT / CHECK_ENV)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_and_strict_exit_code(run_tool):
    proc = run_tool(CHECK_ENV, '--strict', check=False)
    out = proc.stdout
    for key in ('Python', 'torch', 'CUDA available', 'MPS available', 'numpy', 'mmengine', 'mmcv', 'open3d',
                'Compatibility checks:'):
        assert key in out, f'{key!r} missing from the report:\n{out}\n{proc.stderr}'
    assert 'numpy < 2' in out
    failed = [line for line in out.splitlines() if line.startswith('FAIL')]
    assert proc.returncode == (1 if failed else 0), out + proc.stderr


def test_probe_reports_errors(tmp_path, monkeypatch):
    check_env = load_check_env()
    (tmp_path / 'broken_lib_for_check_env.py').write_text("raise RuntimeError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert check_env.probe('no_such_module_for_check_env', 'none') == (None, None)
    version, error = check_env.probe('broken_lib_for_check_env', 'none')
    assert version is None and 'broken on purpose' in error
    assert check_env.probe('pytest', 'pytest')[0] == pytest.__version__


def test_exit_code_zero_unless_strict(monkeypatch, capsys):
    check_env = load_check_env()
    monkeypatch.setattr(check_env, 'PACKAGES', [])
    monkeypatch.setattr(check_env, 'compat_checks', lambda versions: [('an impossible constraint', False)])
    monkeypatch.setattr('sys.argv', ['check_env.py'])
    check_env.main()  # no SystemExit
    assert 'FAIL  an impossible constraint' in capsys.readouterr().out
    monkeypatch.setattr('sys.argv', ['check_env.py', '--strict'])
    with pytest.raises(SystemExit) as exc:
        check_env.main()
    assert exc.value.code == 1


def test_mmcv_range_check():
    check_env = load_check_env()
    base = dict(numpy='1.26.4', mmengine='0.10.7', mmseg=None, mmdet3d=None)
    assert all(ok for _, ok in check_env.compat_checks(dict(base, mmcv='2.1.0', mmdet='3.3.0', **{'mmcv._ext': True})))
    checks = dict(check_env.compat_checks(dict(base, mmcv='2.2.0', mmdet='3.3.0', **{'mmcv._ext': True})))
    assert checks['mmcv >=2.0.0rc4,<2.2.0 for mmdet (mmcv 2.2.0)'] is False
    assert dict(check_env.compat_checks(dict(base, numpy='2.0.1', mmcv=None, mmdet=None)))['numpy < 2'] is False
