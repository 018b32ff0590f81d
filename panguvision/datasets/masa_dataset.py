"""Static images with (SAM) region annotations as 2-frame pseudo-videos for MASA's self-supervised training."""
import random
from typing import List, Optional

from mmdet.datasets import CocoDataset

from panguvision.registry import DATASETS

#: Offset added to the instance ids of a mixed-in image so they never collide with the host image's ids.
MIX_ID_OFFSET = 100000


@DATASETS.register_module()
class MASAPseudoVideoDataset(CocoDataset):
    """A COCO json of unlabelled images with region boxes (``tools/dataset_converters/sam_automask_to_coco.py``, or
    any detection json: categories are ignored, every box is one "object") served as one-frame videos.

    Each item is a video dict ``{'video_id', 'video_length': 1, 'images': [image info]}`` whose instances carry
    ``instance_id = 1 .. n`` (their order in the image), so mmdet's ``UniformRefFrameSample(num_ref_imgs=1)`` turns
    it into a key/reference pair of the same image, two independent augmentations of which are MASA's positives.

    Args:
        min_instances: in training, skip images with fewer regions.
        max_instances: keep at most this many regions per image (the largest); ``None`` keeps all.
        mixup_prob: probability that an item also carries a second random image (``mix_img_path`` /
            ``mix_instances`` with ids offset by ``MIX_ID_OFFSET``) for ``PseudoVideoMixUp``.
        Other arguments as mmdet's ``CocoDataset`` (ann_file, data_root, data_prefix=dict(img=...), pipeline, ...).
    """
    METAINFO = dict(classes=('object', ), palette=[(220, 20, 60)])

    def __init__(self, *args, min_instances: int = 1, max_instances: Optional[int] = None, mixup_prob: float = 0.0,
                 **kwargs):
        self.min_instances = min_instances
        self.max_instances = max_instances
        self.mixup_prob = mixup_prob
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        if not getattr(self, '_class_agnostic', False):  # every category of the file is "object"
            self.cat_ids = self.coco.get_cat_ids()
            self.cat2label = {cat_id: 0 for cat_id in self.cat_ids}
            self._class_agnostic = True
        info = super().parse_data_info(raw_data_info)
        instances = info['instances']
        if self.max_instances is not None:
            instances = sorted(instances, key=lambda i: -(i['bbox'][2] - i['bbox'][0]) * (i['bbox'][3] - i['bbox'][1]))
            instances = instances[:self.max_instances]
        for k, instance in enumerate(instances):
            instance['instance_id'] = k + 1
            instance.pop('mask', None)  # boxes only: the track losses need no masks
        info['instances'] = instances
        info['frame_id'] = 0
        return info

    def filter_data(self) -> List[dict]:
        if self.test_mode:
            return self.data_list
        return [info for info in self.data_list
                if sum(1 for i in info['instances'] if not i['ignore_flag']) >= self.min_instances]

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(idx)
        if self.mixup_prob > 0 and len(self) > 1 and random.random() < self.mixup_prob:
            other_idx = random.randrange(len(self) - 1)
            other = super().get_data_info(other_idx + (other_idx >= idx))
            info['mix_img_path'] = other['img_path']
            info['mix_instances'] = [dict(inst, instance_id=inst['instance_id'] + MIX_ID_OFFSET)
                                     for inst in other['instances']]
        else:
            info['mix_img_path'] = None
            info['mix_instances'] = []
        return dict(video_id=idx, video_length=1, images=[info])
