"""The DSPO preference dataset: ``preferences.jsonl`` written by ``panguvision.apis.preference_data``.

Each item is one LQ image with its N SR candidates, the instance masks and each instance's winner / loser candidate
and area weight (format in ``panguvision/apis/preference_data.py``). The dataset yields
``{'inputs': lq (3, h, w) float32 [0, 255], 'data_samples': BaseDataElement(candidates (N, 3, H, W) float32 [0, 255],
masks (M, H, W) bool, weights (M,), winners (M,), losers (M,), prompt, feedback)}``; no transform pipeline (the
candidates must stay pixel-aligned with the masks).
"""
import json
import os.path as osp
from typing import List

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.structures import BaseDataElement

from panguvision.registry import DATASETS
from panguvision.utils.image_io import read_image
from .transforms.formatting import image_to_tensor


def read_preference_dataset(path: str) -> List[dict]:
    """Records of a ``preferences.jsonl``, instance masks decoded to ``(H, W)`` bool arrays (``inst['mask']``).

    Raises ``ValueError('<path>:<line>: ...')`` for a malformed record or an out-of-range winner / loser.
    """
    from pycocotools import mask as mask_utils
    records = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                num = len(record['candidates'])
                for inst in record['instances']:
                    rle = dict(size=inst['rle']['size'], counts=inst['rle']['counts'].encode('ascii'))
                    inst['mask'] = mask_utils.decode(rle).astype(bool)
                    for role in ('winner', 'loser'):
                        if not 0 <= int(inst[role]) < num:
                            raise ValueError(f'{role} {inst[role]} is not a candidate index 0..{num - 1}')
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f'{path}:{lineno}: malformed preference record ({err})') from None
            records.append(record)
    return records


@DATASETS.register_module()
class PreferenceDataset(BaseDataset):
    """DSPO preference pairs from ``ann_file`` (a ``preferences.jsonl``; paths inside are relative to its folder).

    Args:
        ann_file: the JSONL file.
        min_instances: skip records with fewer instances (nothing to learn from them).
    """

    def __init__(self, ann_file: str, min_instances: int = 1, **kwargs) -> None:
        self.min_instances = min_instances
        super().__init__(ann_file=ann_file, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        root = osp.dirname(osp.abspath(self.ann_file))
        items = []
        for record in read_preference_dataset(self.ann_file):
            if len(record['instances']) < self.min_instances:
                continue
            record['root'] = root
            items.append(record)
        if not items:
            raise ValueError(f'{self.ann_file}: no record with at least {self.min_instances} instance(s)')
        return items

    def prepare_data(self, idx: int) -> dict:
        record = self.get_data_info(idx)
        root = record['root']
        lq = image_to_tensor(read_image(osp.join(root, record['lq'])))
        candidates = torch.stack([image_to_tensor(read_image(osp.join(root, p))) for p in record['candidates']])
        instances = record['instances']
        sample = BaseDataElement(
            candidates=candidates,
            masks=torch.from_numpy(np.stack([inst['mask'] for inst in instances])),
            weights=torch.tensor([inst['weight'] for inst in instances], dtype=torch.float32),
            winners=torch.tensor([inst['winner'] for inst in instances], dtype=torch.long),
            losers=torch.tensor([inst['loser'] for inst in instances], dtype=torch.long),
            metainfo=dict(name=record['name'], prompt=record.get('prompt') or '', feedback=record.get('feedback')))
        return dict(inputs=lq, data_samples=sample)
