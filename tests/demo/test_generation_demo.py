"""demo/generation_demo.py writes an image grid (random weights of the tiny test config)."""
from panguvision.utils.image_io import read_image


def test_generation_demo_writes_grid(run_tool, tmp_path):
    out = tmp_path / 'grid.png'
    proc = run_tool('demo/generation_demo.py', 'tests/configs/tiny_igtr.py', '--classes', 'circle', 'triangle',
                    '--prompts', 'a red circle at top left', 'a large blue triangle', '--num-per-class', '3',
                    '--out', out, '--cfg-scale', '2.0', '--device', 'cpu')
    grid = read_image(str(out))
    assert grid.shape == (2 * (24 + 2) + 2, 3 * (24 + 2) + 2, 3)
    assert 'circle: a ' in proc.stdout and 'red' in proc.stdout.split('triangle:')[0]
    assert 'large blue triangle' in proc.stdout
    bad = run_tool('demo/generation_demo.py', 'tests/configs/tiny_igtr.py', '--classes', 'circle', '--prompts', 'a',
                   'b', '--out', tmp_path / 'x.png', check=False)
    assert bad.returncode != 0 and '--prompts gives 2 texts for 1 classes' in bad.stderr
