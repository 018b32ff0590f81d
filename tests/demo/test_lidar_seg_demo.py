"""demo/lidar_seg_demo.py on synthetic scans: .ply per scan with one coloured point per LiDAR point, PNGs, an mp4."""
from pathlib import Path

import numpy as np
import pytest

from panguvision.datasets.synthetic_lidar import write_synthetic_lidar

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_lidar_seg_demo_on_a_folder(tmp_path, run_tool):
    write_synthetic_lidar(str(tmp_path / 'data'), dict(val=dict(sequence=8, num_scans=2)), num_beams=16,
                          num_azimuths=128)
    velodyne = tmp_path / 'data' / 'sequences' / '08' / 'velodyne'
    out = tmp_path / 'out'
    config = 'configs/lidar_nerf_sam/minkunet_tiny_sup_synthetic_10pct.py'
    proc = run_tool('demo/lidar_seg_demo.py', str(velodyne), config, '--out', str(out), '--device', 'cpu', '--size',
                    '120', '160', cwd=REPO)
    assert '2 scan(s) written' in proc.stdout
    import open3d as o3d
    for stem in ('000000', '000001'):
        pcd = o3d.io.read_point_cloud(str(out / f'{stem}.ply'))
        n = np.fromfile(velodyne / f'{stem}.bin', dtype=np.float32).size // 4
        assert len(pcd.points) == n and len(pcd.colors) == n
        from panguvision.utils.image_io import read_image
        img = read_image(str(out / f'{stem}.png'))
        assert img.shape == (120, 160, 3) and img.std() > 0  # something was drawn
    assert (out / 'velodyne.mp4').stat().st_size > 0
    bad = run_tool('demo/lidar_seg_demo.py', str(tmp_path / 'missing'), config, cwd=REPO, check=False)
    assert bad.returncode != 0 and 'input not found' in bad.stderr
