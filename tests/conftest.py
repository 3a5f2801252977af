"""Shared fixtures. The GUI ones run Qt offscreen unless a platform is chosen already."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session", autouse=True)
def garbage_collected_on_the_gui_thread(qapp):
    """As in the window (gui/gc_guard.py), for the views tests make without one: a widget freed by the cyclic
    collector in a view's thread deadlocked a test run."""
    from gui.gc_guard import collect_on_gui_thread

    collect_on_gui_thread()


@pytest.fixture
def window(qtbot):
    """The main window, shown offscreen; closed (which joins the training thread) and deleted afterwards:
    a pyqtgraph view left alive until the interpreter exits crashes it."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from gui.main_window import MainWindow

    main_window = MainWindow()
    qtbot.addWidget(main_window)
    main_window.show()
    yield main_window
    if shiboken6.isValid(main_window):
        main_window.close()
        shiboken6.delete(main_window)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def make_window(qtbot):
    """Builds windows (with the given settings), shows them, and closes and deletes them afterwards."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    from gui.main_window import MainWindow

    made = []

    def make(settings=None) -> MainWindow:
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for window in made:
        if shiboken6.isValid(window):
            window.close()
            shiboken6.delete(window)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(params=["numpy", "compiled"])
def path(request, monkeypatch):
    """Runs a test on each of the trainer's paths: the NumPy phases, and the compiled loop (skipped without numba)."""
    from model import kernel

    if request.param == "numpy":
        monkeypatch.setattr(kernel, "enabled", False)
    elif not kernel.warm_up():
        pytest.skip(kernel.unavailable_reason())
    return request.param


class FakeClock:
    """Stands in for the worker's ``time`` module: perf_counter() is whatever the test set; sleep() moves it on."""

    def __init__(self, now: float = 100.0):
        self.now = now

    def perf_counter(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)


@pytest.fixture
def fake_clock(monkeypatch):
    """The training worker's clock, moved forward only by the test."""
    from gui import worker

    clock = FakeClock()
    monkeypatch.setattr(worker, "time", clock)
    return clock


def painted_offscreen(qtbot, widget, width: int, height: int):
    """Lay out and paint ``widget`` at this size without putting it on a screen; yields it, then deletes it."""
    import shiboken6
    from PySide6.QtCore import Qt

    from gui.views.common import configure_pyqtgraph

    configure_pyqtgraph()
    qtbot.addWidget(widget)
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.resize(width, height)
    widget.show()
    yield widget
    if shiboken6.isValid(widget):
        shiboken6.delete(widget)
