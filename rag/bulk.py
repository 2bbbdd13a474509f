"""Loading many objects at once: the index's units, the corpus's clauses."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while building many long-lived objects
    (`with gc_paused():`, or `@gc_paused()` on a function).

    Each collection walks every live container, so loading 166k units (100× the corpus) with
    the collector on spends two thirds of its time in it; nothing loaded here is garbage.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
