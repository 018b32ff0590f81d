# ScribbleKITTI: SemanticKITTI scans with line-scribble labels for training (8 % of points), full labels for val.
# Infos: tools/create_data.py semantickitti --root-path data/semantickitti --label-folder scribbles
#        --prefix scribblekitti   (train), and the usual semantickitti_infos_val.pkl for validation.
_base_ = ['./semantickitti_seg.py']
train_dataloader = dict(dataset=dict(ann_file='scribblekitti_infos_train.pkl'))
