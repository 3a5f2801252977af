"""The GUI thread and the training worker take turns at the GIL (gui/worker.py PaintTurns)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from gui.worker import PaintTurns
from model import kernel
from model.config import TrainConfig
from model.datasets import load_dataset
from model.trainer import Trainer
from tests.test_gui_window import frame_where

TIMEOUT = 10_000


class FakeView(QObject):
    painted = Signal()


def test_the_numpy_path_asks_before_every_update(monkeypatch):
    # The worker gives the GIL to the GUI thread only when asked: on the NumPy path that must be often.
    monkeypatch.setattr(kernel, "enabled", False)
    for mode in ("sample", "full", "minibatch"):
        trainer = Trainer(TrainConfig(hidden=3, mode=mode, batch_size=2), load_dataset("xor"))
        calls = []
        trainer.run(50, should_stop=lambda calls=calls: calls.append(1) and False)
        assert len(calls) >= trainer.updates, mode


def test_the_worker_waits_at_its_checkpoint_until_every_fed_view_has_painted(qtbot):
    turns = PaintTurns()
    views = [FakeView(), FakeView()]
    turns.watch(views)
    turns.hold()
    turns.until_painted(views)
    passed = threading.Event()

    def worker():
        while turns.holding():  # each checkpoint waits at most GUI_YIELD_SECONDS
            turns.worker_checkpoint()
        passed.set()

    thread = threading.Thread(target=worker)
    thread.start()
    views[0].painted.emit()
    assert turns.holding()  # one view still to paint
    views[1].painted.emit()
    assert not turns.holding()
    thread.join(5)
    assert passed.is_set()


def test_a_view_that_never_paints_does_not_hold_the_worker_for_ever(qtbot):
    turns = PaintTurns()
    turns.watch([FakeView()])
    turns.hold()
    turns.until_painted([FakeView()])
    qtbot.waitUntil(lambda: not turns.holding(), timeout=2000)  # the fallback timer let it go


def test_the_window_draws_while_the_numpy_path_trains(qtbot, window, monkeypatch):
    # Before the compiled loop is ready the NumPy path trains, holding the GIL between its calls: the window
    # must still draw frame after frame (it drew nothing for seconds before the worker took turns).
    monkeypatch.setattr(kernel, "enabled", False)
    window.reset()  # a network made with the kernel off
    window.panel.max_epochs.setValue(10_000_000)
    window.start_training()
    seen = set()
    for _ in range(5):
        frame = frame_where(qtbot, window, lambda f: f.running and f.seq not in seen, timeout=TIMEOUT)
        seen.add(frame.seq)
        assert not frame.compiled
    for hidden in (3, 9):
        window.panel.hidden.setValue(hidden)
        frame_where(qtbot, window, lambda f, h=hidden: f.snapshot.config.hidden == h and f.snapshot.epoch > 5,
                    timeout=TIMEOUT)
    window.pause_training()
