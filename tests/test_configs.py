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


def _check_dataloader(loader):
    if not loader:
        return
    dataset = loader['dataset']
    for ds in dataset.get('datasets', [dataset]):
        assert DATASETS.get(ds['type']) is not None, ds['type']
        for step in ds['pipeline']:
            assert TRANSFORMS.get(step['type']) is not None, step['type']


def _check_synthetic_lidar_classes(cfg):
    """Synthetic LiDAR configs: the model's class count and ignore index follow the datasets' scene preset."""
    from panguvision.datasets.synthetic_lidar import scene_preset
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = (cfg.get(split) or {}).get('dataset', {})
        if ds.get('type') != 'SyntheticLidarDataset':
            continue
        num_classes = len(scene_preset(ds.get('preset', 'street5'))['classes'])
        assert ds['ignore_index'] == num_classes, split
        assert cfg.model.decode_head.num_classes == num_classes == cfg.model.decode_head.ignore_index
        if cfg.model.get('nerf_head'):
            assert cfg.model.nerf_head.num_classes == num_classes


@pytest.mark.parametrize('config', CONFIGS, ids=[str(p.relative_to(REPO / 'configs')) for p in CONFIGS])
def test_config_builds(config):
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'panguvision'
    init_default_scope('panguvision')
    for split in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _check_dataloader(cfg.get(split))
    try:
        model = MODELS.build(cfg.model)
    except FileNotFoundError as err:  # configs of pre-trained bases (SD3, SAM) need their local weight files
        pytest.skip(f'the model needs local weights that are not on this machine: {err}')
    _check_synthetic_lidar_classes(cfg)
    key = config.stem[:len('hit_srf_x4')]
    if key in EXPECTED_PARAMS:
        assert sum(p.numel() for p in model.parameters()) == EXPECTED_PARAMS[key]
    evaluator = cfg.get('test_evaluator') or []
    for metric in [evaluator] if isinstance(evaluator, dict) else evaluator:  # mmdet configs give one dict
        assert METRICS.get(metric['type']) is not None, metric['type']
