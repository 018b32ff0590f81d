"""Line-oriented reading of the text annotation formats (MOTChallenge txt, KITTI calib, ...)."""
import os
from typing import Iterator, Tuple, Union


def iter_nonblank_lines(path: Union[str, os.PathLike], what: str = 'file') -> Iterator[Tuple[int, str]]:
    """Yield ``(line_number, stripped_text)`` for every non-blank line of ``path`` (1-based numbers, UTF-8).

    Parsers report errors as ``f'{path}:{line_number}: ...'`` with these numbers. A missing file raises
    ``FileNotFoundError`` naming ``what`` and the path.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{what} not found: {os.fspath(path)}')
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            text = line.strip()
            if text:
                yield line_no, text
