"""Every configs/masa config parses and names registered classes; the plug-and-play and SAM-B layouts build."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from panguvision.registry import MODELS

REPO = Path(__file__).resolve().parents[4]
CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / 'configs' / 'masa').glob('*.py'))


@pytest.mark.parametrize('config', CONFIGS)
def test_config_parses(config):
    cfg = Config.fromfile(str(REPO / config))
    assert cfg.model.type == 'MASA' and cfg.default_scope == 'panguvision'
    assert cfg.model.track_head.embed_head.num_convs == 4 and cfg.model.track_head.embed_head.num_fcs == 1
    assert cfg.model.track_head.embed_head.loss_track.loss_weight == 0.25
    assert cfg.model.tracker.memo_momentum == 0.8 and cfg.model.tracker.memo_tracklet_frames == 10
    assert 'test_dataloader' in cfg


def test_plug_and_play_shares_the_detector_backbone():
    init_default_scope('panguvision')
    cfg = Config.fromfile(str(REPO / 'configs/masa/masa_r50-faster-rcnn_plug-and-play_mot17-halfval.py'))
    model = MODELS.build(cfg.model)
    assert model.adapter.backbone is model.detector.backbone
    assert not any(p.requires_grad for p in model.detector.parameters())
    assert any(p.requires_grad for p in model.adapter.neck.parameters())


def test_sam_b_layout_with_a_tiny_encoder_extracts_a_fused_pyramid():
    init_default_scope('panguvision')
    cfg = Config.fromfile(str(REPO / 'configs/masa/masa_sam-b_sam-masks_mot17-public-halfval.py'))
    cfg.model.adapter.backbone.update(model_type='tiny', checkpoint=None)
    cfg.model.adapter.neck[0].in_channels = 32
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        feats = model.adapter.extract_feat(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape) for f in feats] == [(1, 256, 16, 24), (1, 256, 8, 12), (1, 256, 4, 6), (1, 256, 2, 3)]
