"""Visualiser for super-resolution results: low-resolution input, prediction and ground truth side by side."""
from typing import Optional, Sequence

import numpy as np
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

from panguvision.registry import VISUALIZERS
from panguvision.utils.image_io import tensor_to_image


def enlarge_nearest(img: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Nearest-neighbour resize of an HWC image to the height and width of ``like`` (shows LR pixels as blocks)."""
    import cv2
    return cv2.resize(img, (like.shape[1], like.shape[0]), interpolation=cv2.INTER_NEAREST)


def side_by_side(images: Sequence[np.ndarray], titles: Optional[Sequence[str]] = None, gap: int = 4) -> np.ndarray:
    """Concatenate HWC uint8 images left to right (bottom-padded to a common height, white gaps), with titles."""
    import cv2
    height = max(im.shape[0] for im in images)
    tiles = []
    for i, im in enumerate(images):
        tile = np.full((height, im.shape[1], 3), 255, np.uint8)
        tile[:im.shape[0]] = im
        if titles is not None:
            size = max(0.4, min(1.5, im.shape[1] / 400))
            cv2.putText(tile, titles[i], (6, int(24 * size) + 4), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0),
                        thickness=max(2, int(3 * size)), lineType=cv2.LINE_AA)
            cv2.putText(tile, titles[i], (6, int(24 * size) + 4), cv2.FONT_HERSHEY_SIMPLEX, size, (255, 255, 255),
                        thickness=1, lineType=cv2.LINE_AA)
        tiles.append(tile)
        if i < len(images) - 1:
            tiles.append(np.full((height, gap, 3), 255, np.uint8))
    return np.concatenate(tiles, axis=1)


@VISUALIZERS.register_module()
class SRVisualizer(Visualizer):
    """Draws ``[LR (nearest-neighbour enlarged) | prediction | GT]`` for an :class:`SRDataSample`."""

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       step: int = 0) -> None:
        """``image`` is the LR input as HWC uint8 RGB; ``data_sample`` holds ``pred_img``/``gt_img`` in [0, 1]."""
        panels, titles = [], []
        if draw_pred and data_sample is not None and 'pred_img' in data_sample:
            pred = tensor_to_image(data_sample.pred_img)
            panels.append(enlarge_nearest(image, pred))
            titles.append('LR')
            panels.append(pred)
            titles.append('prediction')
        else:
            panels.append(image)
            titles.append('input')
        if draw_gt and data_sample is not None and 'gt_img' in data_sample:
            panels.append(tensor_to_image(data_sample.gt_img))
            titles.append('GT')
        drawn = side_by_side(panels, titles)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            from panguvision.utils.image_io import write_image
            write_image(out_file, drawn)
        else:
            self.add_image(name, drawn, step)
