"""Walker: self-supervised MOT by random walks on temporal appearance graphs."""
