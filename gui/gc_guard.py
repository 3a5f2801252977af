"""Python's garbage collector, on the GUI thread only.

The cyclic collector runs in whichever thread happens to allocate past its threshold: the training thread, the
boundary's or the maps' thread, a file reader. There it may free a cycle that holds Qt objects, and a Qt object
destroyed off the GUI thread deadlocked the window once (seen in a test run: the GUI thread held the GIL and
waited for a lock of Qt's, the other thread held that lock and waited for the GIL). pyqtgraph's GarbageCollector
turns automatic collection off and collects on a timer of the GUI thread instead.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

INTERVAL_SECONDS = 1.0  # between checks of the collector's counts (a collection only when they are due)

_collector: GarbageCollector | None = None


def collect_on_gui_thread() -> None:
    """Collect cyclic garbage on the GUI thread's event loop only, from now on (call it on the GUI thread, with a
    QApplication made; once is enough, more calls change nothing)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=INTERVAL_SECONDS)
