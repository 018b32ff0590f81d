# SAM-only "track anything": every frame is segmented by SAM's automatic mask generator, the masks' boxes get MASA
# embeddings from the SAM ViT-B adapter and the MASA tracker links them. No detector, no classes. Needs the local SAM
# weights (checkpoints/sam_vit_b_01ec64.pth) and trained MASA adapter weights (tools/test.py CONFIG CHECKPOINT, or
# panguvision.apis.mot_inference.init_mot_model). Slow on CPU: SAM runs points_per_side^2 prompts per frame.
_base_ = ['./masa_sam-b_sam-masks_mot17-public-halfval.py']
model = dict(
    sam_proposer=dict(type='SAMAutoMaskProposer', model_type='vit_b', checkpoint='checkpoints/sam_vit_b_01ec64.pth',
                      max_proposals=100, min_area=100,
                      generator_cfg=dict(points_per_side=16, pred_iou_thresh=0.86, stability_score_thresh=0.9)),
    tracker=dict(init_score_thr=0.8, obj_score_thr=0.5),  # scores are SAM's predicted IoU
    test_cfg=dict(box_source='sam'))
