"""Walker: self-supervised MOT by random walks on temporal appearance graphs."""
from .walk_loss import WalkCycleLoss, cycle_matrices, exclusion_penalty, multi_positive_nll, transition_matrix
from .walker import Walker, jitter_boxes
from .walker_tracker import WalkerTracker

__all__ = [
    'WalkCycleLoss', 'Walker', 'WalkerTracker', 'cycle_matrices', 'exclusion_penalty', 'jitter_boxes',
    'multi_positive_nll', 'transition_matrix'
]
