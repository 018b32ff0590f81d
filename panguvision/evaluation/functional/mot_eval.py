"""MOTChallenge evaluation (HOTA, CLEAR MOT, Identity) of tracker result files with TrackEval.

Layout read by :func:`evaluate_mot`::

    <gt_root>/<seq>/gt/gt.txt          ground truth (MOT15/16/17/20 or DanceTrack rows, see ``mot_io``)
    <gt_root>/<seq>/seqinfo.ini        optional: ``seqLength`` (frames); otherwise the last frame of gt and results
    <res_root>/<seq>.txt               tracker results ``frame,id,x,y,w,h,conf,-1,-1,-1``

Every file is read and validated by :func:`read_mot_txt` (malformed rows fail with ``<file>:<line>``), rewritten to
a temporary TrackEval layout (``SKIP_SPLIT_FOL``, sequence lengths passed as ``SEQ_INFO``, so no seqmap is needed)
and scored by ``trackeval.Evaluator`` with ``trackeval.datasets.MotChallenge2DBox``.

Class handling. TrackEval's ``MotChallenge2DBox`` reads column 7 (``conf``, "zero marked") and column 8 (``class``)
of the ground truth. With preprocessing on (every benchmark but MOT15) it (1) matches tracker boxes to all gt boxes
at IoU >= 0.5 and drops the tracker boxes matched to a distractor class (person_on_vehicle, static_person,
distractor, reflection; MOT20 adds non_mot_vehicle), then (2) keeps only gt boxes with ``class == 1`` and
``conf != 0``. A MOT15-style ground truth has no class column: that column is the world ``x`` and reads -1, which
TrackEval rejects as an invalid class (or, if accepted, would drop every box in step 2). This module rewrites class
-1 to 1 (pedestrian) in the temporary copy, so MOT15 sequences are scored exactly as TrackEval scores the MOT15
benchmark (only ``conf == 0`` boxes removed) while MOT17/MOT20 sequences keep their distractor handling; both kinds
can be mixed in one call. Tracker rows are written with class -1, which TrackEval accepts as pedestrian.

TrackEval (checked for the installed release) uses no numpy alias removed in numpy 1.24 (``np.float``, ``np.int``,
``np.bool``), so no compatibility shim is needed with numpy 1.26.
"""
import contextlib
import io
import os
import os.path as osp
import tempfile
from typing import Dict, Optional, Sequence, Union

import numpy as np

from .mot_io import read_mot_txt, read_seqinfo, write_mot_txt

__all__ = ['evaluate_mot', 'FRACTION_KEYS', 'COUNT_KEYS']

PathLike = Union[str, os.PathLike]

# Output keys. Fractions: HOTA family averaged over TrackEval's 19 localisation thresholds (0.05..0.95); MOTA is
# <= 1 but negative when errors outnumber gt boxes; MOTP is the mean IoU of CLEAR matches.
FRACTION_KEYS = ('HOTA', 'DetA', 'AssA', 'LocA', 'MOTA', 'MOTP', 'IDF1', 'IDP', 'IDR')
COUNT_KEYS = ('IDSW', 'FP', 'FN', 'TP', 'Frag', 'MT', 'PT', 'ML', 'GT_Dets', 'Dets', 'GT_IDs', 'IDs')
# Our name -> (TrackEval metric family, TrackEval field).
_FIELDS = {
    'HOTA': ('HOTA', 'HOTA'), 'DetA': ('HOTA', 'DetA'), 'AssA': ('HOTA', 'AssA'), 'LocA': ('HOTA', 'LocA'),
    'MOTA': ('CLEAR', 'MOTA'), 'MOTP': ('CLEAR', 'MOTP'), 'IDSW': ('CLEAR', 'IDSW'), 'FP': ('CLEAR', 'CLR_FP'),
    'FN': ('CLEAR', 'CLR_FN'), 'TP': ('CLEAR', 'CLR_TP'), 'Frag': ('CLEAR', 'Frag'), 'MT': ('CLEAR', 'MT'),
    'PT': ('CLEAR', 'PT'), 'ML': ('CLEAR', 'ML'), 'IDF1': ('Identity', 'IDF1'), 'IDP': ('Identity', 'IDP'),
    'IDR': ('Identity', 'IDR'), 'GT_Dets': ('Count', 'GT_Dets'), 'Dets': ('Count', 'Dets'),
    'GT_IDs': ('Count', 'GT_IDs'), 'IDs': ('Count', 'IDs')
}
_TRACKER = 'tracker'
_COMBINED = 'COMBINED'


def _list_sequences(gt_root: str) -> list:
    seqs = sorted(name for name in os.listdir(gt_root) if osp.isfile(osp.join(gt_root, name, 'gt', 'gt.txt')))
    if not seqs:
        raise FileNotFoundError(f'{gt_root}: no <seq>/gt/gt.txt found, expected the MOTChallenge layout')
    return seqs


def _stage_sequence(seq: str, gt_root: str, res_root: str, gt_dir: str, res_dir: str) -> int:
    """Validate one sequence's files, write the TrackEval copies and return its length in frames."""
    gt_file = osp.join(gt_root, seq, 'gt', 'gt.txt')
    res_file = osp.join(res_root, f'{seq}.txt')
    if not osp.isfile(res_file):
        raise FileNotFoundError(f'{res_file}: no tracker results for sequence {seq!r}')
    ini_file = osp.join(gt_root, seq, 'seqinfo.ini')
    seq_length = int(read_seqinfo(ini_file)['seqLength']) if osp.isfile(ini_file) else None
    gt = read_mot_txt(gt_file, 'gt', max_frame=seq_length)
    res = read_mot_txt(res_file, 'res', max_frame=seq_length)
    if seq_length is None:
        seq_length = int(max(gt[:, 0].max(initial=0), res[:, 0].max(initial=0), 1))
    gt = gt.copy()
    gt[gt[:, 7] == -1, 7] = 1  # MOT15: no class column -> pedestrian (see module docstring)
    res_rows = np.concatenate([res, np.full((len(res), 3), -1.0)], axis=1)  # class / world columns = -1
    write_mot_txt(osp.join(gt_dir, seq, 'gt', 'gt.txt'), gt)
    write_mot_txt(osp.join(res_dir, f'{seq}.txt'), res_rows)
    return seq_length


def _collect(seq_res: dict, families: set) -> Dict[str, Union[float, int]]:
    """TrackEval's nested ``{family: {field: value}}`` of one sequence -> our flat dict (families that were run)."""
    out = {}
    for key, (family, field) in _FIELDS.items():
        if family not in families:
            continue
        value = seq_res[family][field]
        out[key] = float(np.mean(value)) if key in FRACTION_KEYS else int(round(float(value)))
    return out


def evaluate_mot(gt_root: PathLike,
                 res_root: PathLike,
                 seqs: Optional[Sequence[str]] = None,
                 metrics: Sequence[str] = ('HOTA', 'CLEAR', 'Identity'),
                 benchmark: str = 'MOT17',
                 split: str = 'train',
                 remove_distractors: bool = True,
                 iou_threshold: float = 0.5) -> Dict[str, Dict[str, Union[float, int]]]:
    """Evaluate MOTChallenge tracker results against ground truth with TrackEval.

    Args:
        gt_root: folder with ``<seq>/gt/gt.txt`` (and optionally ``<seq>/seqinfo.ini``).
        res_root: folder with ``<seq>.txt`` tracker results, one per evaluated sequence.
        seqs: sequences to evaluate; default: every ``<gt_root>/<seq>`` that has ``gt/gt.txt``, sorted.
        metrics: TrackEval metric families to run, a subset of ``('HOTA', 'CLEAR', 'Identity')``; the keys of the
            families not run are absent from the result.
        benchmark: ``'MOT17'`` (also right for MOT16, DanceTrack and MOT15-style gt, see the module docstring),
            ``'MOT20'`` (non_mot_vehicle is a distractor too) or ``'MOT15'`` (TrackEval skips the class handling).
        split: TrackEval's ``SPLIT_TO_EVAL`` name; only cosmetic here (the split folder is skipped).
        remove_distractors: TrackEval's ``DO_PREPROC``: drop tracker boxes matched to distractor gt and keep only
            pedestrian gt. With False gt boxes of every class count. gt with ``conf == 0`` is dropped either way.
        iou_threshold: the CLEAR and Identity matching threshold (IoU >= threshold matches).

    Returns:
        ``{seq: {key: value}, ..., 'COMBINED': {key: value}}``: fractions (not percent) for ``FRACTION_KEYS``
        (HOTA, DetA, AssA, LocA averaged over the 19 HOTA thresholds; MOTA may be negative) and integer counts
        for ``COUNT_KEYS`` (IDSW, FP, FN, TP, Frag, MT, PT, ML, gt/tracker boxes and ids). COMBINED is TrackEval's
        combination over sequences (summed counts, HOTA recomputed from the summed components).

    Raises:
        ValueError: a malformed row in any file (message ``<file>:<line>: ...``) or an unknown metric family.
        FileNotFoundError: a missing gt root, sequence or result file.
    """
    import trackeval

    metric_classes = {'HOTA': trackeval.metrics.HOTA, 'CLEAR': trackeval.metrics.CLEAR,
                      'Identity': trackeval.metrics.Identity}
    unknown = [m for m in metrics if m not in metric_classes]
    if unknown:
        raise ValueError(f'unknown metric families {unknown}, expected a subset of {list(metric_classes)}')
    gt_root, res_root = os.fspath(gt_root), os.fspath(res_root)
    seqs = list(seqs) if seqs is not None else _list_sequences(gt_root)

    with tempfile.TemporaryDirectory(prefix='panguvision_mot_eval_') as tmp:
        gt_dir, trackers_dir = osp.join(tmp, 'gt'), osp.join(tmp, 'trackers')
        res_dir = osp.join(trackers_dir, _TRACKER, 'data')
        seq_info = {seq: _stage_sequence(seq, gt_root, res_root, gt_dir, res_dir) for seq in seqs}

        dataset_config = {
            'GT_FOLDER': gt_dir, 'TRACKERS_FOLDER': trackers_dir, 'OUTPUT_FOLDER': osp.join(tmp, 'out'),
            'TRACKERS_TO_EVAL': [_TRACKER], 'CLASSES_TO_EVAL': ['pedestrian'], 'BENCHMARK': benchmark,
            'SPLIT_TO_EVAL': split, 'SKIP_SPLIT_FOL': True, 'SEQ_INFO': seq_info, 'DO_PREPROC': remove_distractors,
            'TRACKER_SUB_FOLDER': 'data', 'PRINT_CONFIG': False
        }
        eval_config = {
            'USE_PARALLEL': False, 'BREAK_ON_ERROR': True, 'LOG_ON_ERROR': None, 'PRINT_RESULTS': False,
            'PRINT_CONFIG': False, 'TIME_PROGRESS': False, 'OUTPUT_SUMMARY': False, 'OUTPUT_DETAILED': False,
            'PLOT_CURVES': False
        }
        metric_list = [metric_classes[m]({'THRESHOLD': iou_threshold, 'PRINT_CONFIG': False}) for m in metrics]
        with contextlib.redirect_stdout(io.StringIO()):  # TrackEval narrates its progress on stdout
            dataset = trackeval.datasets.MotChallenge2DBox(dataset_config)
            raw, _ = trackeval.Evaluator(eval_config).evaluate([dataset], metric_list)

    per_seq = raw[dataset.get_name()][_TRACKER]
    families = set(metrics) | {'Count'}
    results = {seq: _collect(per_seq[seq]['pedestrian'], families) for seq in seqs}
    results[_COMBINED] = _collect(per_seq['COMBINED_SEQ']['pedestrian'], families)
    return results
