"""Shared fixtures. The GUI ones run Qt offscreen unless a platform is chosen already."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
