# Walker (`walker_r50.py`) with its own detector, mmdet's Faster R-CNN R50-FPN: both are trained on the sparsely
# annotated frames, the detector on their boxes, the embeddings by walks on clips of them. The detector shares
# Walker's data preprocessor; set `model.detector.roi_head.bbox_head.num_classes` per dataset.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py', './walker_r50.py']

detector = _base_.model
detector.pop('data_preprocessor')
detector['_scope_'] = 'mmdet'  # its nested parts are mmdet classes named without a scope
del _base_.model
model = _base_.walker_model
model['detector'] = detector
