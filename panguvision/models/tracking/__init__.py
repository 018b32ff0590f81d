"""Multi-object tracking: MASA, Walker and the IoU-association baseline, on mmdet 3.x's MOT framework."""
from .hog_detector import HOGPeopleDetector  # noqa: F401
from .iou_tracker import IoUTracker  # noqa: F401
from .masa import *  # noqa: F401,F403
from .public_det_mot import PublicDetMOT  # noqa: F401
from .walker import *  # noqa: F401,F403
