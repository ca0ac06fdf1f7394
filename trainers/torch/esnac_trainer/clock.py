"""The clock the worker and the engine share (no torch: the worker reads it before importing torch)."""
import time


def wall_ms():
    """Milliseconds since the epoch: the engine's clock too, so that it can tell how long a job spent outside training."""
    return time.time() * 1000
