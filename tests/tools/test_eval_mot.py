"""tools/analysis_tools/mot/eval_mot.py end to end: table, JSON schema, malformed-file error."""
import json
import shutil
from pathlib import Path

import pytest

SCRIPT = 'tools/analysis_tools/mot/eval_mot.py'
SEQS = ('TUD-Campus', 'TUD-Stadtmitte')


@pytest.fixture
def tud(tmp_path):
    mm = pytest.importorskip('motmetrics')
    data = Path(mm.__file__).parent / 'data'
    for seq in SEQS:
        (tmp_path / 'gt' / seq / 'gt').mkdir(parents=True)
        (tmp_path / 'res').mkdir(exist_ok=True)
        shutil.copy(data / seq / 'gt.txt', tmp_path / 'gt' / seq / 'gt' / 'gt.txt')
        shutil.copy(data / seq / 'test.txt', tmp_path / 'res' / f'{seq}.txt')
    return tmp_path


def test_cli_table_and_json(tud, run_tool):
    out = tud / 'metrics.json'
    proc = run_tool(SCRIPT, '--gt-root', tud / 'gt', '--res-root', tud / 'res', '--out', out)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:8] == ['sequence', 'HOTA', 'DetA', 'AssA', 'MOTA', 'MOTP', 'IDF1', 'IDP']
    assert [line.split()[0] for line in lines[2:5]] == [*SEQS, 'COMBINED']
    assert lines[2].split()[4] == '52.6'  # TUD-Campus MOTA in percent

    result = json.loads(out.read_text())
    assert set(result) == {*SEQS, 'COMBINED'}
    for row in result.values():
        for key in ('HOTA', 'DetA', 'AssA', 'MOTA', 'MOTP', 'IDF1', 'IDP', 'IDR'):
            assert isinstance(row[key], float) and 0 <= row[key] <= 1, (key, row[key])
        for key in ('IDSW', 'FP', 'FN', 'Frag', 'MT', 'ML'):
            assert isinstance(row[key], int) and row[key] >= 0
    assert result['COMBINED']['FP'] == result['TUD-Campus']['FP'] + result['TUD-Stadtmitte']['FP']


def test_cli_malformed_row_names_file_and_line(tud, run_tool):
    res_file = tud / 'res' / 'TUD-Campus.txt'
    lines = res_file.read_text().splitlines()
    lines[4] = '1,99,113.84,oops,57.307,130.05,-1,-1,-1,-1'
    res_file.write_text('\n'.join(lines) + '\n')
    proc = run_tool(SCRIPT, '--gt-root', tud / 'gt', '--res-root', tud / 'res', check=False)
    assert proc.returncode == 1
    assert f'{res_file}:5: column 4 is \'oops\', expected a finite number' in proc.stderr
