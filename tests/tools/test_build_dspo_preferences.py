"""tools/misc/build_dspo_preferences.py: two SR models as candidates, superpixel instances, PSNR judge vs GT."""
import numpy as np

from panguvision.datasets.preference_dataset import read_preference_dataset
from panguvision.utils.image_io import write_image


def test_builds_a_readable_dataset(tmp_path, run_tool):
    rng = np.random.default_rng(0)
    (tmp_path / 'lq').mkdir()
    (tmp_path / 'gt').mkdir()
    for i in range(2):
        gt = np.kron(rng.integers(0, 256, (8, 8, 3)), np.ones((4, 4, 1))).astype(np.uint8)  # blocky 32x32 scene
        write_image(str(tmp_path / 'gt' / f'im{i}.png'), gt)
        write_image(str(tmp_path / 'lq' / f'im{i}.png'), gt[::2, ::2])
    (tmp_path / 'fb.jsonl').write_text('{"image": "im1", "text": "fake stripes on the wall"}\n')
    run_tool('tools/misc/build_dspo_preferences.py', tmp_path / 'lq', tmp_path / 'out', '--config',
             'configs/bicubic/bicubic_x2_set5.py', '--config', 'tests/configs/tiny_hit_srf_x2.py', '--num-samples', 2,
             '--gt-dir', tmp_path / 'gt', '--judge', 'metric:psnr', '--min-area', 8,
             '--feedback', tmp_path / 'fb.jsonl', '--device', 'cpu')
    records = read_preference_dataset(str(tmp_path / 'out' / 'preferences.jsonl'))
    assert [r['name'] for r in records] == ['im0', 'im1']
    assert records[1]['feedback'] == 'fake stripes on the wall' and records[0]['feedback'] is None
    for record in records:
        assert len(record['candidates']) == 2 and record['instances']
        assert abs(sum(inst['weight'] for inst in record['instances']) - 1) < 1e-6
        # bicubic (candidate 0) beats a random-weight HiT-SRF (candidate 1) against the GT in every instance
        assert all((inst['winner'], inst['loser']) == (0, 1) for inst in record['instances'])


def test_identical_candidates_are_refused(tmp_path, run_tool):
    (tmp_path / 'lq').mkdir()
    write_image(str(tmp_path / 'lq' / 'a.png'), np.full((16, 16, 3), 100, np.uint8))
    proc = run_tool('tools/misc/build_dspo_preferences.py', tmp_path / 'lq', tmp_path / 'out', '--config',
                    'configs/bicubic/bicubic_x2_set5.py', '--num-samples', 2, '--device', 'cpu', check=False)
    assert proc.returncode != 0 and 'identical' in proc.stderr
