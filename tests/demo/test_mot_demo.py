"""demo/mot_demo.py end to end: a real video with the HOG detector, and a synthetic frame folder with Walker."""
from pathlib import Path

import cv2
import pytest

from panguvision.datasets.synthetic_mot import make_synthetic_mot
from panguvision.evaluation.functional.mot_io import read_mot_txt

SCRIPT = 'demo/mot_demo.py'
CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def _frame_count(path):
    cap = cv2.VideoCapture(str(path))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    return count


def test_mot_demo_on_video_with_hog(shared_data, tmp_path, run_tool):
    video = shared_data / 'video' / 'mot17_night_street.mp4'
    if not video.is_file():
        pytest.skip(f'{video} is absent')
    out, txt = tmp_path / 'night.mp4', tmp_path / 'night.txt'
    config = CONFIGS / 'iou_tracker' / 'iou_tracker_mot17-public-halfval.py'
    proc = run_tool(SCRIPT, video, config, '--out', out, '--txt', txt, '--max-frames', 4, '--device', 'cpu')
    assert 'FPS' in proc.stdout and 'HOGPeopleDetector' in proc.stdout
    assert _frame_count(out) == 4
    rows = read_mot_txt(txt, 'res', max_frame=4)
    assert len(rows) > 0 and set(rows[:, 0]) <= {1, 2, 3, 4}
    assert (rows[:, 4] > 20).all() and (rows[:, 5] > 40).all()  # person-sized boxes in 1920x1080 pixels
    assert (rows[:, 2] + rows[:, 4] <= 1920 + 200).all()  # original-image coordinates, not network-input ones
    cap = cv2.VideoCapture(str(out))
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (1920, 1080)


@pytest.mark.slow
def test_mot_demo_on_frame_folder_with_walker(tmp_path, run_tool):
    seq = make_synthetic_mot(str(tmp_path / 'syn'), num_sequences=1, num_frames=5, image_size=(96, 128))[0]
    out, txt = tmp_path / 'syn.mp4', tmp_path / 'syn.txt'
    proc = run_tool(SCRIPT, f'{seq}/img1', CONFIGS / 'walker' / 'walker_r18-tiny_synthetic.py', '--detector', 'hog',
                    '--out', out, '--txt', txt, '--device', 'cpu')
    assert '5 frame(s)' in proc.stdout and 'Walker' in proc.stdout
    assert _frame_count(out) == 5 and txt.is_file()
    proc = run_tool(SCRIPT, f'{seq}/img1/000001.jpg', CONFIGS / 'walker' / 'walker_r18-tiny_synthetic.py', check=False)
    assert proc.returncode != 0 and 'single image' in proc.stderr
