"""MOTChallenge txt reader/writer: good rows parse, malformed rows fail with '<file>:<line>:'."""
import re

import numpy as np
import pytest

from panguvision.evaluation.functional import read_mot_txt, read_seqinfo, write_mot_txt


def test_good_rows_parse(tmp_path):
    gt = tmp_path / 'gt.txt'
    gt.write_text('1,1,10,20,30,40,1,1,0.5\n\n2, 1, 11.5, 20, 30, 40, 0, 8, 1\n3,2,5,5,4,4,1,4.48,5.5,0\n')
    rows = read_mot_txt(gt, 'gt')
    assert rows.shape == (3, 9) and rows.dtype == np.float64
    np.testing.assert_array_equal(rows[1], [2, 1, 11.5, 20, 30, 40, 0, 8, 1])
    np.testing.assert_array_equal(rows[2, 7:], [-1, -1])  # MOT15 row: world coordinates -> no class

    res = tmp_path / 'res.txt'
    res.write_text('1,3,113.84,274.5,57.307,130.05,-1,-1,-1,-1\n1 4 1 2 3 4\n')  # whitespace too; 6 cols: conf 1
    rows = read_mot_txt(res, 'res')
    np.testing.assert_array_equal(rows, [[1, 3, 113.84, 274.5, 57.307, 130.05, -1], [1, 4, 1, 2, 3, 4, 1]])

    det = tmp_path / 'det.txt'
    det.write_text('1,-1,1,2,3,4,0.9\n')
    assert read_mot_txt(det, 'det').shape == (1, 7)
    empty = tmp_path / 'empty.txt'
    empty.write_text('')
    assert read_mot_txt(empty, 'res').shape == (0, 7)


@pytest.mark.parametrize('kind, bad_row, expected', [
    ('gt', '1,1,10,20,30,40,1,1', '8 columns, expected 9 to 10'),
    ('res', '1,1,10,20,30', '5 columns, expected 6 to 10'),
    ('res', '1,1,10,abc,30,40,1,-1,-1,-1', "column 4 is 'abc', expected a finite number"),
    ('res', '1,1,10,nan,30,40,1,-1,-1,-1', 'expected a finite number'),
    ('res', '0,1,10,20,30,40,1,-1,-1,-1', 'expected an integer >= 1'),
    ('res', '1.5,1,10,20,30,40,1,-1,-1,-1', 'expected an integer >= 1'),
    ('res', '2,-1,10,20,30,40,1,-1,-1,-1', 'expected a non-negative integer'),
    ('res', '2,1,10,20,-3,40,1,-1,-1,-1', 'expected width and height >= 0'),
    ('gt', '2,1,10,20,0,40,1,1,1', 'expected width and height > 0'),
    ('gt', '2,1,10,20,5,40,2,1,1', 'expected a value in [0, 1]'),
    ('gt', '2,1,10,20,5,40,1,14,1', 'expected -1 or a MOTChallenge class id 1..13'),
    ('res', '1,1,10,20,30,40,1,-1,-1,-1', 'repeats line 1'),
    ('res', '9,1,10,20,30,40,1,-1,-1,-1', 'expected at most the sequence length 5'),
])
def test_malformed_row_names_file_and_line(tmp_path, kind, bad_row, expected):
    path = tmp_path / 'seq.txt'
    good = '1,1,10,20,30,40,1,1,1' if kind == 'gt' else '1,1,10,20,30,40,1,-1,-1,-1'
    path.write_text(f'{good}\n\n{bad_row}\n')
    with pytest.raises(ValueError, match=re.escape(f'{path}:3: ') + '.*' + re.escape(expected)):
        read_mot_txt(path, kind, max_frame=5)


def test_write_round_trip_and_seqinfo(tmp_path):
    rows = np.array([[1, 2, 113.84, 0.1 + 0.2, 57.307, 130.05, -1, -1, -1, -1]])
    path = tmp_path / 'sub' / 'out.txt'
    write_mot_txt(path, rows)
    assert path.read_text().startswith('1,2,113.84,0.30000000000000004,')
    np.testing.assert_array_equal(read_mot_txt(path, 'res'), rows[:, :7])

    ini = tmp_path / 'seqinfo.ini'
    ini.write_text('[Sequence]\nname=MOT17-02\nimDir=img1\nframeRate=30\nseqLength=600\nimWidth=1920\n'
                   'imHeight=1080\nimExt=.jpg\n')
    info = read_seqinfo(ini)
    assert info == {'name': 'MOT17-02', 'imDir': 'img1', 'frameRate': 30, 'seqLength': 600, 'imWidth': 1920,
                    'imHeight': 1080, 'imExt': '.jpg'}
