"""Environment report: platform, torch and its devices, the OpenMMLab stack, the optional libraries, and the version
checks the suite depends on (printed as ``OK`` / ``FAIL`` lines; nothing is asserted at import time elsewhere).

``python tools/misc/check_env.py [--strict]``: exit code 0, unless ``--strict`` and a check FAILs (then 1).
"""
import argparse
import importlib
import importlib.metadata
import os
import platform
import sys

#: (import name, distribution name) of the libraries reported; each import is guarded.
PACKAGES = [('numpy', 'numpy'), ('mmengine', 'mmengine'), ('mmcv', 'mmcv'), ('mmdet', 'mmdet'),
            ('mmseg', 'mmsegmentation'), ('mmdet3d', 'mmdet3d'), ('diffusers', 'diffusers'),
            ('transformers', 'transformers'), ('segment_anything', 'segment-anything'), ('open3d', 'open3d'),
            ('trackeval', 'trackeval'), ('nuscenes', 'nuscenes-devkit'), ('timm', 'timm'),
            ('safetensors', 'safetensors'), ('skimage', 'scikit-image'), ('cv2', 'opencv-python')]


def probe(module: str, dist: str):
    """``(version or None, error text or None)``; ``(None, None)`` when the library is simply not installed."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None, None
        return None, f'{type(exc).__name__}: {exc}'
    except Exception as exc:  # a broken install: report it, keep going
        return None, f'{type(exc).__name__}: {exc}'.strip()
    version = getattr(mod, '__version__', None)
    if version is None:
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = 'unknown'
    return str(version), None


def torch_report(torch) -> list:
    rows = [('torch', torch.__version__), ('torch CUDA build', torch.version.cuda or 'none'),
            ('CUDA available', torch.cuda.is_available())]
    if torch.cuda.is_available():
        rows += [('CUDA devices', torch.cuda.device_count()), ('CUDA device 0', torch.cuda.get_device_name(0))]
    rows.append(('cuDNN', torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else 'none'))
    mps = getattr(torch.backends, 'mps', None)
    rows.append(('MPS available', bool(mps and mps.is_available())))
    npu_version, npu_error = probe('torch_npu', 'torch-npu')
    if npu_version or npu_error:
        rows.append(('torch_npu', npu_version or npu_error))
        if npu_version:
            rows.append(('NPU available / devices', f'{torch.npu.is_available()} / {torch.npu.device_count()}'))
        rows.append(('CANN (ASCEND_TOOLKIT_HOME)', os.environ.get('ASCEND_TOOLKIT_HOME', 'not set')))
    return rows


def mmcv_ops_report(torch):
    """``(rows, loaded)``: whether mmcv's compiled ops load, for which devices, and whether a CPU op runs."""
    try:
        import mmcv._ext  # noqa: F401
        from mmcv.ops import get_compiler_version, get_compiling_cuda_version, nms
    except Exception as exc:
        return [('mmcv._ext (compiled ops)', f'does not load: {type(exc).__name__}: {exc}')], False
    cuda_build = get_compiling_cuda_version()
    devices = ['cpu'] + (['cuda'] if cuda_build not in ('not available', '', None) else [])
    rows = [('mmcv._ext (compiled ops)', f'loads; ops built for {"+".join(devices)}'),
            ('mmcv compiler / CUDA', f'{get_compiler_version()} / {cuda_build}')]
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    test_devices = [d for d in devices if d == 'cpu' or torch.cuda.is_available()]
    for device in test_devices:
        try:
            _, keep = nms(boxes.to(device), scores.to(device), iou_threshold=0.5)
            rows.append((f'mmcv.ops.nms on {device}', 'OK' if keep.tolist() == [0, 2] else f'wrong: {keep.tolist()}'))
        except Exception as exc:
            rows.append((f'mmcv.ops.nms on {device}', f'FAILED: {type(exc).__name__}: {exc}'))
    return rows, True


def compat_checks(versions: dict) -> list:
    """``(description, ok)`` for every version constraint of the suite."""
    from mmengine.utils import digit_version as dv
    checks = [('numpy < 2', versions['numpy'] is not None and dv(versions['numpy']) < dv('2.0.0'))]
    mmcv = versions['mmcv']
    for lib in ('mmdet', 'mmseg', 'mmdet3d'):
        if versions[lib] is not None:
            ok = mmcv is not None and dv('2.0.0rc4') <= dv(mmcv) < dv('2.2.0')
            checks.append((f'mmcv >=2.0.0rc4,<2.2.0 for {lib} (mmcv {mmcv})', ok))
    if mmcv is not None:
        checks.append(('mmcv compiled ops (mmcv._ext) load', versions['mmcv._ext']))
    checks.append((f'mmengine >=0.7.1,<1.0.0 (mmengine {versions["mmengine"]})',
                   versions['mmengine'] is not None and dv('0.7.1') <= dv(versions['mmengine']) < dv('1.0.0')))
    return checks


def main():
    parser = argparse.ArgumentParser(description='Report the PanguVision environment')
    parser.add_argument('--strict', action='store_true', help='exit with 1 when a compatibility check fails')
    args = parser.parse_args()

    import torch
    rows = [('Python', sys.version.replace('\n', ' ')), ('platform', platform.platform())]
    rows += torch_report(torch)
    versions = {}
    for module, dist in PACKAGES:
        versions[module], error = probe(module, dist)
        rows.append((module, versions[module] or error or 'not installed'))
        if module == 'mmcv' and versions['mmcv']:
            ops_rows, versions['mmcv._ext'] = mmcv_ops_report(torch)
            rows += ops_rows
    try:
        from mmengine.utils.dl_utils import collect_env
        env = collect_env()
        rows += [(key, env[key]) for key in ('GCC', 'MSVC', 'CPU', 'OpenCV', 'NVCC') if key in env]
    except Exception as exc:
        rows.append(('mmengine collect_env', f'failed: {type(exc).__name__}: {exc}'))

    width = max(len(key) for key, _ in rows)
    print('\n'.join(f'{key:<{width}}: {value}' for key, value in rows))
    print('\nCompatibility checks:')
    checks = compat_checks(versions)
    for description, ok in checks:
        print(f'{"OK  " if ok else "FAIL"}  {description}')
    failed = sum(not ok for _, ok in checks)
    if args.strict and failed:
        sys.exit(1)


if __name__ == '__main__':
    main()
