"""The C heap of a training process. A training step frees its activations and gradients (many MB)
and allocates them again in the next step; by default glibc hands large blocks back to the kernel
(mmap above a threshold, and trimming the heap's free top), so every step faults in and zeroes
tens of MB of fresh pages: measured on a 2-core VM with resnet-mini 28x28, 1,300-6,000 minor page
faults per step, a third of the step's CPU time in the kernel, and 1.5-3x fewer images/s than
with the blocks kept (bench/train-throughput). Keeping freed blocks for the next step costs no
more memory than the step's peak, which the process reaches every step anyway.
"""
import ctypes
import sys

# mallopt's parameters (malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
# glibc's largest mmap threshold on 64-bit (blocks above it are still mapped per use), and how
# much free heap a worker keeps between candidates before giving it back.
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_freed_memory():
    """Tells glibc's malloc to keep freed blocks up to MMAP_THRESHOLD for reuse; True where it took
    (Linux with glibc), False elsewhere (other allocators already keep them or cannot be told)."""
    if not sys.platform.startswith('linux'):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
