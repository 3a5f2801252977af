"""The GUI thread and the training worker take turns at the GIL (gui/worker.py GilTurns)."""

from __future__ import annotations

import threading

from gui.worker import GilTurns
from model import kernel
from model.config import TrainConfig
from model.datasets import load_dataset
from model.trainer import Trainer
from tests.test_gui_window import frame_where

TIMEOUT = 10_000


def test_the_numpy_path_asks_before_every_update(monkeypatch):
    # The worker gives the GIL to the GUI thread only when asked: on the NumPy path that must be often.
    monkeypatch.setattr(kernel, "enabled", False)
    for mode in ("sample", "full", "minibatch"):
        trainer = Trainer(TrainConfig(hidden=3, mode=mode, batch_size=2), load_dataset("xor"))
        calls = []
        trainer.run(50, should_stop=lambda calls=calls: calls.append(1) and False)
        assert len(calls) >= trainer.updates, mode


def test_the_worker_waits_at_its_checkpoint_while_the_gui_takes_its_turn():
    turns = GilTurns()
    arrived, passed = threading.Event(), threading.Event()

    def worker():
        arrived.set()
        while turns.holding():  # each checkpoint waits at most GUI_YIELD_SECONDS
            turns.worker_checkpoint()
        passed.set()

    with turns.gui_turn():
        with turns.gui_turn():  # a paint inside feeding a frame
            thread = threading.Thread(target=worker)
            thread.start()
            arrived.wait(5)
        assert turns.holding() and not passed.is_set()  # the outer turn still holds it
    thread.join(5)
    assert passed.is_set() and not turns.holding()


def test_a_gil_bound_worker_rests_after_each_burst_of_work(fake_clock):
    from gui.worker import WORKER_BURST_SECONDS, WORKER_REST_SECONDS

    turns = GilTurns()
    start = fake_clock.now
    turns.worker_checkpoint()
    assert fake_clock.now == start  # within its burst: no rest
    fake_clock.advance(WORKER_BURST_SECONDS * 1.5)
    before = fake_clock.now
    turns.worker_checkpoint()
    assert fake_clock.now == before + WORKER_REST_SECONDS  # it slept, without the GIL
    turns.worker_checkpoint()
    assert fake_clock.now == before + WORKER_REST_SECONDS  # a new burst began


def test_a_run_waits_for_its_compiled_loop_when_it_is_on_its_way(qtbot, monkeypatch):
    from gui.worker import TrainingController

    coming = {"yes": True}
    monkeypatch.setattr(kernel, "pending", lambda key: coming["yes"])
    monkeypatch.setattr(kernel, "ready", lambda key: None)  # the NumPy path trains once nothing is pending
    controller = TrainingController()
    try:
        controller.set_trainer(Trainer(TrainConfig(hidden=3, mode="sample"), load_dataset("xor")), 1)
        controller.set_limits(1_000_000, None)
        controller.start()
        qtbot.waitUntil(lambda: controller.latest_frame() is not None and controller.latest_frame().preparing,
                        timeout=TIMEOUT)
        assert controller.latest_frame().snapshot.updates == 0  # it waits, it does not train on NumPy meanwhile
        coming["yes"] = False  # ready, or never to be: it trains
        qtbot.waitUntil(lambda: controller.latest_frame().snapshot.updates > 0 and
                        not controller.latest_frame().preparing, timeout=TIMEOUT)
    finally:
        assert controller.shutdown()


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
