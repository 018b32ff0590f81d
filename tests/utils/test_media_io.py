"""Demo media helpers: input kinds, video frames round trip through Mp4Writer, clear errors."""
import numpy as np
import pytest

from panguvision.utils.image_io import write_image
from panguvision.utils.media_io import Mp4Writer, iter_video_frames, list_images, media_kind, video_info


def test_media_kind_and_list_images(tmp_path):
    img = np.zeros((8, 8, 3), np.uint8)
    write_image(str(tmp_path / 'b.png'), img)
    write_image(str(tmp_path / 'a.jpg'), img)
    (tmp_path / 'notes.txt').write_text('x')
    assert media_kind(str(tmp_path)) == 'folder'
    assert media_kind(str(tmp_path / 'a.jpg')) == 'image'
    assert [p.rsplit('/', 1)[1] for p in list_images(str(tmp_path))] == ['a.jpg', 'b.png']
    with pytest.raises(ValueError, match='notes.txt'):
        media_kind(str(tmp_path / 'notes.txt'))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        media_kind(str(tmp_path / 'missing.png'))
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='holds no image'):
        list_images(str(empty))


def test_mp4_round_trip(tmp_path):
    path = str(tmp_path / 'v.mp4')
    frames = [np.full((32, 48, 3), (40 * i, 255 - 40 * i, 128), np.uint8) for i in range(5)]
    with Mp4Writer(path, fps=10) as writer:
        for frame in frames:
            writer.write(frame)
        writer.write(np.zeros((16, 16, 3), np.uint8))  # another size is resized, not dropped
    assert writer.frames == 6
    fps, count = video_info(path)
    assert fps == pytest.approx(10) and count == 6
    decoded = list(iter_video_frames(path, max_frames=5))
    assert len(decoded) == 5 and decoded[0].shape == (32, 48, 3)
    for got, want in zip(decoded, frames):  # RGB order kept (lossy codec: compare mean colour)
        assert np.abs(got.reshape(-1, 3).mean(0) - want[0, 0]).max() < 12


def test_writer_rejects_non_rgb(tmp_path):
    with pytest.raises(ValueError, match='uint8 RGB'):
        Mp4Writer(str(tmp_path / 'x.mp4')).write(np.zeros((4, 4), np.float32))
