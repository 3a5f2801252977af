"""Cyclic garbage is collected on the GUI thread only (gui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading
import weakref

from gui.gc_guard import INTERVAL_SECONDS, collect_on_gui_thread


class Node:
    pass


def test_cyclic_garbage_is_freed_on_the_gui_thread_not_where_it_is_allocated(qtbot):
    collect_on_gui_thread()
    assert not gc.isenabled()
    freed_in = []
    node = Node()
    node.cycle = node  # only the cyclic collector frees it
    watch = weakref.ref(node, lambda _ref: freed_in.append(threading.current_thread()))
    del node

    def allocate():  # far past the collector's thresholds: it would collect in this thread
        kept = []
        for _ in range(200_000):
            pair = [None]
            pair[0] = pair
            kept.append(pair)

    thread = threading.Thread(target=allocate)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and freed_in == []
    qtbot.waitUntil(lambda: bool(freed_in), timeout=int(5000 * INTERVAL_SECONDS))
    assert freed_in == [threading.main_thread()] and watch() is None
