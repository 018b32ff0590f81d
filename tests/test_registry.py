"""Registries are children of mmengine's roots, lazy, and importing the package stays light."""
import ast
import subprocess
import sys

import pytest
from mmengine.registry import DefaultScope

from panguvision import registry


def test_every_registry_is_a_lazy_child_of_mmengine():
    from mmengine.registry import Registry
    registries = [v for k, v in vars(registry).items() if isinstance(v, Registry) and not k.startswith('MMENGINE_')]
    assert len(registries) >= 20
    for reg in registries:
        assert reg.scope == 'panguvision'
        assert reg.parent is not None and reg.parent.scope == 'mmengine', reg.name
        assert reg._locations and all(loc.startswith('panguvision.') for loc in reg._locations), reg.name


def _loaded_after_import(imports: str, candidates) -> list:
    """Which of ``candidates`` are in ``sys.modules`` of a fresh interpreter after ``import <imports>``."""
    code = f'import sys, {imports}; print([m for m in {tuple(candidates)!r} if m in sys.modules])'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    return ast.literal_eval(out)


def test_package_import_registers_nothing_and_imports_no_heavy_library():
    heavy = ('diffusers', 'segment_anything', 'open3d', 'transformers', 'mmdet', 'mmdet3d', 'mmseg',
             'panguvision.models', 'panguvision.datasets')
    assert _loaded_after_import('panguvision, panguvision.registry', heavy) == []
    code = 'import panguvision.registry as r; print(len(r.MODELS.module_dict))'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == '0'


def test_lazy_lookup_and_scoped_reuse_of_other_openmmlab_packages():
    with DefaultScope.overwrite_default_scope('panguvision'):
        assert registry.MODELS.get('SRModel').__name__ == 'SRModel'
        assert registry.TRANSFORMS.get('PackSRInputs').__name__ == 'PackSRInputs'
        assert registry.METRICS.get('PSNR').__name__ == 'PSNR'
        assert registry.LOOPS.get('ResumableIterBasedTrainLoop').__name__ == 'ResumableIterBasedTrainLoop'
        pytest.importorskip('mmdet.models', reason='mmdet needs mmcv compiled ops')
        loss = registry.MODELS.build(dict(type='mmdet.L1Loss'))
        assert type(loss).__module__.startswith('mmdet.')


def test_registering_everything_imports_no_optional_heavy_library():
    """The registries' locations (models, datasets, evaluation, engine, ...) import optional libraries only where used.

    (``transformers`` is absent from the list: mmengine's optimizer registry imports it when it is installed;
    ``trackeval`` too: ``import mmdet.models``, which the tracking and LiDAR models subclass, imports it itself.)
    """
    everything = ('panguvision.models, panguvision.datasets, panguvision.evaluation, panguvision.engine, '
                  'panguvision.visualization, panguvision.apis')
    optional = ('diffusers', 'segment_anything', 'open3d', 'timm', 'sentence_transformers', 'gguf')
    assert _loaded_after_import(everything, optional) == []
