"""Reading and writing MOTChallenge text files (MOT15/16/17/20, DanceTrack): the one reader of the suite.

A MOTChallenge file holds one box per line, comma separated (whitespace is accepted as a separator too), boxes in
pixels with ``(x, y)`` the top-left corner and frames numbered from 1:

* ground truth ``gt/gt.txt``: ``frame, id, x, y, w, h, conf, class, visibility`` (MOT16/17/20, 9 columns) or
  ``frame, id, x, y, w, h, conf, wx, wy, wz`` (MOT15, 10 columns: world coordinates, -1 when unknown, no class).
  ``conf`` is 1 for boxes that count and 0 for boxes to ignore; ``class`` is 1..13 (1 = pedestrian, see
  ``MOT_CLASSES``), or -1 for "no class" (MOT15 rows are returned with class and visibility -1).
* tracker results: ``frame, id, x, y, w, h, conf, -1, -1, -1`` (7 to 10 columns; a 6-column row gets ``conf = 1``).
* public detections ``det/det.txt``: ``frame, -1, x, y, w, h, score[, ...]`` (the id column may be -1).

``read_mot_txt`` validates every row and raises ``ValueError('<path>:<line>: ...')`` on the first bad one, so that a
malformed file fails before any evaluation code sees it.
"""
import configparser
import math
import os
from typing import Dict, Iterable, Optional, Union

import numpy as np

from panguvision.utils.checkpoint import atomic_write_bytes
from panguvision.utils.text_io import iter_nonblank_lines

__all__ = ['MOT_CLASSES', 'MOT_DISTRACTOR_CLASSES', 'read_mot_txt', 'read_seqinfo', 'write_mot_txt']

PathLike = Union[str, os.PathLike]

# MOTChallenge ground-truth class ids (MOT16/17/20 papers; TrackEval's and mmdet's tables agree).
MOT_CLASSES = {
    1: 'pedestrian', 2: 'person_on_vehicle', 3: 'car', 4: 'bicycle', 5: 'motorbike', 6: 'non_mot_vehicle',
    7: 'static_person', 8: 'distractor', 9: 'occluder', 10: 'occluder_on_ground', 11: 'occluder_full',
    12: 'reflection', 13: 'crowd'
}
# Person-like classes that are neither rewarded nor punished (the evaluation removes tracker boxes matched to them).
MOT_DISTRACTOR_CLASSES = (2, 7, 8, 12)

# kind -> (min columns, max columns, columns returned).
_LAYOUT = {'gt': (9, 10, 9), 'res': (6, 10, 7), 'det': (7, 10, 7)}


def _fail(path, line_no, message):
    raise ValueError(f'{os.fspath(path)}:{line_no}: {message}')


def read_mot_txt(path: PathLike, kind: str = 'gt', max_frame: Optional[int] = None) -> np.ndarray:
    """Read and validate a MOTChallenge text file.

    Args:
        path: the ``.txt`` file.
        kind: ``'gt'`` (ground truth), ``'res'`` (tracker results) or ``'det'`` (public detections).
        max_frame: when given, frames above it are an error (the sequence length of ``seqinfo.ini``).

    Returns:
        float64 array, one row per box, in file order: for ``'gt'`` shape ``(N, 9)`` with columns
        ``frame, id, x, y, w, h, conf, class, visibility`` (10-column MOT15 rows: class = visibility = -1, the
        world coordinates are dropped); for ``'res'`` and ``'det'`` shape ``(N, 7)`` with
        ``frame, id, x, y, w, h, conf``.
        Blank lines are skipped; an empty file gives ``(0, 9)`` or ``(0, 7)``.

    Raises:
        ValueError: ``'<path>:<line>: <what was wrong>, expected <what>'`` for the first malformed row: wrong number
            of columns, a value that is not a finite number, a frame that is not an integer >= 1 (or above
            ``max_frame``), a non-integer id (negative, except -1 in ``'det'``), a negative width/height (zero too in
            ``'gt'``), a gt ``conf`` outside ``[0, 1]``, an unknown gt class, or an ``(frame, id)`` pair seen before.
        FileNotFoundError: when ``path`` does not exist.
    """
    if kind not in _LAYOUT:
        raise ValueError(f"kind must be one of {sorted(_LAYOUT)}, got {kind!r}")
    min_cols, max_cols, out_cols = _LAYOUT[kind]
    rows = []
    seen = {}
    for line_no, text in iter_nonblank_lines(path, 'MOTChallenge file'):
        fields = [x.strip() for x in text.split(',')] if ',' in text else text.split()
        if fields and fields[-1] == '':  # one trailing comma
            fields = fields[:-1]
        if not min_cols <= len(fields) <= max_cols:
            _fail(path, line_no, f'{len(fields)} columns, expected {min_cols} to {max_cols} for {kind} rows')
        values = []
        for col, field in enumerate(fields):
            try:
                value = float(field)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                _fail(path, line_no, f'column {col + 1} is {field!r}, expected a finite number')
            values.append(value)
        frame, obj_id, _, _, w, h = values[:6]
        if frame != int(frame) or frame < 1:
            _fail(path, line_no, f'frame {fields[0]!r}, expected an integer >= 1')
        if max_frame is not None and frame > max_frame:
            _fail(path, line_no, f'frame {int(frame)}, expected at most the sequence length {max_frame}')
        if obj_id != int(obj_id) or (obj_id < 0 and not (kind == 'det' and obj_id == -1)):
            _fail(path, line_no, f'id {fields[1]!r}, expected a non-negative integer')
        if kind == 'gt' and (w <= 0 or h <= 0):
            _fail(path, line_no, f'box size {fields[4]} x {fields[5]}, expected width and height > 0')
        if w < 0 or h < 0:
            _fail(path, line_no, f'box size {fields[4]} x {fields[5]}, expected width and height >= 0')
        if kind == 'gt' and len(values) == 10:  # MOT15: world x, y, z instead of class, visibility
            values = values[:7] + [-1.0, -1.0]
        if kind == 'gt':
            conf, cls = values[6], values[7]
            if not 0 <= conf <= 1:
                _fail(path, line_no, f'conf {fields[6]!r}, expected a value in [0, 1] (0 = ignore)')
            if cls != -1 and cls not in MOT_CLASSES:
                _fail(path, line_no, f'class {fields[7]!r}, expected -1 or a MOTChallenge class id 1..13')
        if kind != 'det':
            key = (int(frame), int(obj_id))
            if key in seen:
                _fail(path, line_no, f'frame {key[0]} id {key[1]} repeats line {seen[key]}, expected unique ids '
                      'within a frame')
            seen[key] = line_no
        if len(values) < out_cols:  # 6-column results: conf = 1
            values = values + [1.0] * (out_cols - len(values))
        rows.append(values[:out_cols])
    return np.asarray(rows, dtype=np.float64).reshape(-1, out_cols)


def read_seqinfo(path: PathLike) -> Dict[str, Union[str, int, float]]:
    """Read a MOTChallenge ``seqinfo.ini`` into a flat dict.

    Returns:
        the ``[Sequence]`` section with keys as written (``name``, ``imDir``, ``frameRate``, ``seqLength``,
        ``imWidth``, ``imHeight``, ``imExt``); values that parse as integers (or floats) are converted.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: when the file has no ``[Sequence]`` section.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{os.fspath(path)}: no such seqinfo.ini')
    parser = configparser.ConfigParser()
    parser.optionxform = str  # keep camelCase keys
    parser.read(path, encoding='utf-8')
    if not parser.has_section('Sequence'):
        raise ValueError(f'{os.fspath(path)}: no [Sequence] section, expected a MOTChallenge seqinfo.ini')
    info = {}
    for key, value in parser.items('Sequence'):
        for cast in (int, float):
            try:
                info[key] = cast(value)
                break
            except ValueError:
                continue
        else:
            info[key] = value
    return info


def _format_value(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def write_mot_txt(path: PathLike, rows: Iterable[Iterable[float]]) -> None:
    """Write rows (e.g. ``(N, C)`` array) as a comma-separated MOTChallenge file, atomically.

    Integer-valued numbers are written without a decimal point, others in the shortest form that reads back to the
    same float64, so ``read_mot_txt(write_mot_txt(rows))`` returns ``rows`` exactly.
    """
    lines = [','.join(_format_value(v) for v in row) for row in rows]
    text = '\n'.join(lines) + ('\n' if lines else '')
    atomic_write_bytes(text.encode('utf-8'), path)
