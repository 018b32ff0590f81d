"""Multi-object tracking: MASA, Walker and the IoU-association baseline, on mmdet 3.x's MOT framework."""
