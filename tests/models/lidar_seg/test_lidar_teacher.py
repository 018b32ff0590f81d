"""The mean teacher of the LiDAR pseudo-labels and the class-balanced (CBST) vote thresholds."""
import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

from panguvision.models.lidar_seg.pseudo_label import class_balanced_thresholds, vote_masks_sparse
from panguvision.models.lidar_seg.teacher import MeanTeacher
from panguvision.registry import MODELS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_nerf_sam_segmentor import TINY, _batch  # noqa: E402


def _student(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def _set(module, value):
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(value)


def test_mean_teacher_copies_then_averages_with_the_warmup_momentum():
    student = _student()
    teacher = MeanTeacher(student, momentum=0.9)
    _set(student, 1.0)
    teacher.update_parameters(student)  # update 0: a copy
    assert all(torch.equal(p, torch.ones_like(p)) for p in teacher.module.parameters())
    expected = 1.0
    for t, value in enumerate([3.0, 5.0, -2.0, 0.5], start=1):
        _set(student, value)
        teacher.update_parameters(student)
        decay = min(0.9, 1 - 1 / (t + 1))  # 0.5, 0.667, 0.75, 0.8: the plain mean of the students so far
        expected = decay * expected + (1 - decay) * value
        for p in teacher.module.parameters():
            torch.testing.assert_close(p, torch.full_like(p, expected))
    torch.testing.assert_close(torch.tensor(expected), torch.tensor((1 + 3 + 5 - 2 + 0.5) / 5))
    assert int(teacher.steps) == 5


def test_mean_teacher_without_warmup_uses_the_fixed_momentum_and_copies_buffers():
    student = _student()
    teacher = MeanTeacher(student, momentum=0.99, warmup=False)
    _set(student, 0.0)
    teacher.update_parameters(student)
    _set(student, 1.0)
    student[1].running_mean.fill_(7.0)
    teacher.update_parameters(student)
    for p in teacher.module.parameters():
        torch.testing.assert_close(p, torch.full_like(p, 0.01))
    assert torch.equal(teacher.module[1].running_mean, torch.full((4,), 7.0))  # buffers follow the student
    with pytest.raises(ValueError):
        MeanTeacher(student, momentum=1.0)


def test_mean_teacher_gets_no_gradients_and_stays_in_eval_mode():
    student = _student()
    teacher = MeanTeacher(student, momentum=0.9)
    assert not any(p.requires_grad for p in teacher.module.parameters())
    teacher.train()
    assert not teacher.module.training


def _teacher_model(**point_cfg):
    init_default_scope('panguvision')
    torch.manual_seed(0)
    cfg = copy.deepcopy(TINY)
    cfg.update(point_pseudo_label=dict(dict(vote='points', threshold=0.0, min_voters=1), **point_cfg),
               teacher=dict(momentum=0.9))
    return MODELS.build(cfg).train()


def _optim(model):
    return build_optim_wrapper(model, dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=0.01)))


def test_segmentor_teacher_is_not_trained_by_backprop_and_follows_the_student():
    model = _teacher_model()
    optim = _optim(model)
    batch = _batch(model)
    student_before = model.decode_head.conv_seg.weight.detach().clone()
    model.train_step(copy.deepcopy(batch), optim)
    assert int(model.teacher.steps) == 1  # switched on at the first step: a copy of the student ...
    teacher_w = model.teacher.module['decode_head'].conv_seg.weight.detach().clone()
    torch.testing.assert_close(teacher_w, student_before)  # ... taken before the step, which moved the student only
    student_after = model.decode_head.conv_seg.weight.detach().clone()
    assert not torch.allclose(student_after, student_before)
    assert model.teacher.module['decode_head'].conv_seg.weight.grad is None
    model.train_step(copy.deepcopy(batch), optim)  # ... update 1: decay min(0.9, 1/2) = 0.5
    torch.testing.assert_close(model.teacher.module['decode_head'].conv_seg.weight,
                               0.5 * teacher_w + 0.5 * student_after)
    assert all(p.grad is None for p in model.teacher.parameters())


def test_point_pseudo_labels_come_from_the_teacher():
    model = _teacher_model()
    batch = _batch(model)
    model.teacher.steps.fill_(1)  # skip the copy
    model.teacher.decay, model.teacher.warmup = 1.0 - 1e-9, False  # and keep the teacher as it is set below
    head = model.teacher.module['decode_head'].conv_seg
    with torch.no_grad():
        head.weight.zero_()
        head.bias.copy_(torch.tensor([0.0, 0.0, 20.0, 0.0]))  # the teacher says class 2 everywhere
    model.train_step(copy.deepcopy(batch), _optim(model))
    labels = model.pseudo_debug['voxel_labels']
    assert len(labels) > 0 and bool((labels == 2).all())

    init_default_scope('panguvision')
    torch.manual_seed(0)
    votes = dict(vote='points', threshold=0.0, min_voters=1)
    student_only = MODELS.build(dict(copy.deepcopy(TINY), point_pseudo_label=votes)).train()
    student_only.train_step(copy.deepcopy(batch), _optim(student_only))
    assert not bool((student_only.pseudo_debug['voxel_labels'] == 2).all())  # the student alone says otherwise


def test_checkpoint_keeps_the_teacher_so_resume_is_exact():
    model = _teacher_model(class_balance=dict(keep_ratio=0.5))
    optim = _optim(model)
    batch = _batch(model)
    for _ in range(2):
        model.train_step(copy.deepcopy(batch), optim)
    state = copy.deepcopy(model.state_dict())
    assert 'teacher.steps' in state and 'class_thresholds' in state and int(state['num_loss_calls']) == 2
    assert any(k.startswith('teacher.module.backbone.') for k in state)
    resumed = _teacher_model(class_balance=dict(keep_ratio=0.5))
    resumed.load_state_dict(state)
    assert int(resumed.num_loss_calls) == 2 and int(resumed.teacher.steps) == 2
    optim2 = _optim(resumed)
    optim2.load_state_dict(copy.deepcopy(optim.state_dict()))
    torch.manual_seed(1)
    a = model.train_step(copy.deepcopy(batch), optim)
    torch.manual_seed(1)
    b = resumed.train_step(copy.deepcopy(batch), optim2)
    for k in a:
        torch.testing.assert_close(a[k], b[k])
    for (k, p), q in zip(model.teacher.state_dict().items(), resumed.teacher.state_dict().values()):
        torch.testing.assert_close(p, q, msg=k)
    torch.testing.assert_close(model.class_thresholds, resumed.class_thresholds, equal_nan=True)


def test_teacher_needs_point_pseudo_labels():
    init_default_scope('panguvision')
    with pytest.raises(ValueError, match='teacher needs point_pseudo_label'):
        MODELS.build(dict(copy.deepcopy(TINY), teacher=dict(momentum=0.99)))


def test_class_balanced_thresholds_are_per_class_quantiles():
    conf0 = torch.tensor([0.99, 0.98, 0.97, 0.96])  # class 0: confident
    conf1 = torch.tensor([0.80, 0.70, 0.65, 0.55])  # class 1: unsure
    probs = torch.zeros(9, 3)
    probs[:4, 0], probs[:4, 1] = conf0, 1 - conf0
    probs[4:8, 1], probs[4:8, 0] = conf1, 1 - conf1
    probs[8, 2] = 1.0  # class 2: one prediction only
    thr = class_balanced_thresholds(probs, keep_ratio=0.5, min_count=2)
    torch.testing.assert_close(thr[:2], torch.stack([conf0.quantile(0.5), conf1.quantile(0.5)]))
    assert torch.isnan(thr[2])
    with pytest.raises(ValueError):
        class_balanced_thresholds(probs, keep_ratio=0.0)


def test_vote_masks_sparse_applies_the_winning_class_threshold():
    masks = [np.zeros((2, 4), bool), np.zeros((2, 4), bool)]
    masks[0][:, :2] = True
    masks[1][:, 2:] = True
    rc = torch.tensor([[0, 0], [1, 1], [0, 2], [1, 3]])
    probs = torch.tensor([[0.8, 0.2], [0.8, 0.2], [0.3, 0.7], [0.3, 0.7]])  # mask 0 votes 0 (0.8), mask 1 votes 1
    glob = vote_masks_sparse(masks, rc, probs, threshold=0.75, ignore_index=9)['labels']
    assert (glob[:, :2] == 0).all() and (glob[:, 2:] == 9).all()  # 0.7 < 0.75: class 1 is dropped
    per_class = vote_masks_sparse(masks, rc, probs, threshold=torch.tensor([0.9, 0.6]), ignore_index=9)['labels']
    assert (per_class[:, :2] == 9).all() and (per_class[:, 2:] == 1).all()


def test_segmentor_class_balance_lowers_the_threshold_of_unsure_classes_only():
    model = _teacher_model(threshold=0.9, class_balance=dict(keep_ratio=0.5, momentum=0.5))
    probs = torch.tensor([[0.99, 0.01, 0.0, 0.0]] * 10 + [[0.4, 0.6, 0.0, 0.0]] * 10)
    thr = model.vote_thresholds(probs)
    torch.testing.assert_close(thr, torch.tensor([0.9, 0.6, 0.9, 0.9]))  # unseen classes: the global threshold
    probs2 = torch.tensor([[0.2, 0.8, 0.0, 0.0]] * 20)
    thr = model.vote_thresholds(probs2)  # running average: 0.5 * 0.6 + 0.5 * 0.8
    torch.testing.assert_close(thr, torch.tensor([0.9, 0.7, 0.9, 0.9]))
