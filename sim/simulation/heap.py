"""Keep freed memory in the process while a large population is simulated.

At millions of customers a column is tens of MB. The C allocator (glibc) takes every block
that large straight from the kernel and gives it back as soon as it is freed, so the next
column of that size is faulted in and zeroed again page by page: at 10,000,000 customers
that was 20-30 s of system time in a 50 s replication. While `keep_freed_memory` is open,
large blocks come from the heap and freed ones stay there for the next column; when the
outermost one closes, the heap's free memory goes back to the kernel. Where the C library
is not glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LARGE = 250_000
"""Customers from which a replication keeps freed memory and frees each finished policy at once."""

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters
_GLIBC_TRIM_THRESHOLD, _GLIBC_MMAP_MAX = 128 * 1024, 65536  # glibc's defaults, restored after
_KEEP_ALL = 2**31 - 1  # bytes; mallopt takes an int

_lock = threading.Lock()
_open = 0


def _glibc():
    """glibc's allocator controls, or None on other C libraries."""
    try:
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError, TypeError):  # TypeError: Windows cannot open the process itself
        return None


@contextmanager
def keep_freed_memory(customers: int) -> Iterator[None]:
    """While open, and if `customers` >= LARGE, freed memory stays in the process for reuse.

    Nested and concurrent uses count: the heap is trimmed when the last one closes. Forked
    workers inherit the setting and keep it until they exit."""
    global _open
    libc = _glibc() if customers >= LARGE else None
    if libc is None:
        yield
        return
    with _lock:
        if _open == 0:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_ALL)
        _open += 1
    try:
        yield
    finally:
        with _lock:
            _open -= 1
            if _open == 0:
                libc.mallopt(_M_MMAP_MAX, _GLIBC_MMAP_MAX)
                libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_TRIM_THRESHOLD)
                libc.malloc_trim(0)
