"""Every shipped config parses, builds its model in the panguvision scope and names registered components."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from panguvision.registry import DATASETS, METRICS, MODELS, TRANSFORMS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted(p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
EXPECTED_PARAMS = {  # the paper's counts (ANCHORS.md)
    'hit_sir_x2': 772064, 'hit_sir_x3': 780179, 'hit_sir_x4': 791540,
    'hit_sng_x2': 1012584, 'hit_sng_x3': 1020699, 'hit_sng_x4': 1032060,
    'hit_srf_x2': 846944, 'hit_srf_x3': 855059, 'hit_srf_x4': 866420,
}


@pytest.mark.parametrize('config', CONFIGS, ids=[str(p.relative_to(REPO / 'configs')) for p in CONFIGS])
def test_config_builds(config):
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'panguvision'
    init_default_scope('panguvision')
    model = MODELS.build(cfg.model)
    key = config.stem[:len('hit_srf_x4')]
    if key in EXPECTED_PARAMS:
        assert sum(p.numel() for p in model.parameters()) == EXPECTED_PARAMS[key]
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(split)
        if not loader:
            continue
        dataset = loader['dataset']
        inner = dataset.get('datasets', [dataset])
        for ds in inner:
            assert DATASETS.get(ds['type']) is not None, ds['type']
            for step in ds['pipeline']:
                assert TRANSFORMS.get(step['type']) is not None, step['type']
    for metric in cfg.get('test_evaluator') or []:
        assert METRICS.get(metric['type']) is not None
