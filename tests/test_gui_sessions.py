"""Sessions in the window: saved and reopened runs go on bit for bit, damaged files change nothing, autosave
writes while training, and after a kill -9 of a real app process the next launch finds the autosave to offer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from test_gui_window import TIMEOUT, frame_where, train_epochs

from gui import sessions
from gui.sessions import AUTOSAVE_NAME, RUNNING_MARKER, SessionActions
from model.session import load_session

ROOT = Path(__file__).resolve().parents[1]


def use_minibatches(window):
    window.apply_dataset("xor")
    window.panel.mode.setCurrentIndex(window.panel.mode.findData("minibatch"))
    window.panel.batch_size.setValue(3)  # sample orders drawn from the stream: the stream must come back too


def test_a_saved_session_reopens_and_goes_on_as_if_never_stopped(window, qtbot, tmp_path):
    use_minibatches(window)
    train_epochs(qtbot, window, 10)
    assert window.pin_run()
    pinned = window.pinned_runs.runs()[0]
    half = train_epochs(qtbot, window, 20)
    path = tmp_path / f"run{sessions.SUFFIX}"
    with qtbot.waitSignal(window.sessions.saved, timeout=TIMEOUT) as saved:
        assert window.sessions.save_session(path)
    assert saved.args == [True, str(path)]
    straight = train_epochs(qtbot, window, 40)
    with qtbot.waitSignal(window.sessions.opened, timeout=TIMEOUT) as opened:
        window.sessions.open_session(path)
    assert opened.args == [True]
    reopened = frame_where(qtbot, window, lambda f: f.snapshot.updates == half.snapshot.updates)
    np.testing.assert_array_equal(reopened.snapshot.theta, half.snapshot.theta)
    np.testing.assert_array_equal(reopened.snapshot.history["train_loss"], half.snapshot.history["train_loss"])
    assert window.dataset_key == "xor" and window.config == half.snapshot.config
    [back] = window.pinned_runs.runs()  # the pinned run came back with the session
    assert back.name == pinned.name and back.config == pinned.config and back.color == pinned.color
    for name in ("epochs", "train_loss"):
        np.testing.assert_array_equal(getattr(back, name), getattr(pinned, name))
    assert back.thumbnail.size() == pinned.thumbnail.size()
    assert back.thumbnail.pixel(5, 5) == pinned.thumbnail.pixel(5, 5)
    again = train_epochs(qtbot, window, 40)
    np.testing.assert_array_equal(again.snapshot.theta, straight.snapshot.theta)
    np.testing.assert_array_equal(again.snapshot.history["params"], straight.snapshot.history["params"])


def test_a_damaged_session_is_refused_and_nothing_changes(window, qtbot, tmp_path):
    path = tmp_path / f"bad{sessions.SUFFIX}"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    network = window.network_id
    with qtbot.waitSignal(window.sessions.opened, timeout=TIMEOUT) as opened:
        window.sessions.open_session(path)
    assert opened.args == [False]
    assert window.network_id == network
    assert "session" in window.message_bar.text() and "\n" not in window.message_bar.text()
    assert not window.sessions.save_session(tmp_path / "wrong.txt")  # the suffix names the format


def test_autosave_writes_the_run_while_it_trains(window, qtbot, tmp_path, monkeypatch):
    actions = SessionActions(window, folder=tmp_path)
    assert actions.start() is None and (tmp_path / RUNNING_MARKER).exists()
    actions.timer.setInterval(50)
    window.panel.max_epochs.setValue(10**9)
    window.start_training()
    qtbot.waitUntil(lambda: (tmp_path / AUTOSAVE_NAME).exists(), timeout=TIMEOUT)
    window.pause_training()
    actions.wait_for_write(timeout=60)
    saved = load_session(tmp_path / AUTOSAVE_NAME)
    assert saved.trainer.epoch > 0 and saved.extra["dataset_key"] == "xor"


def test_after_a_kill_the_next_launch_finds_the_autosave(qtbot, tmp_path, window):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        app = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--train", "--epochs", "2000000000"],
                               env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.rglob(AUTOSAVE_NAME)) and time.monotonic() < deadline and app.poll() is None:
            time.sleep(0.2)
        found = list(tmp_path.rglob(AUTOSAVE_NAME))
        assert found, log.read_text() if app.poll() is not None else "no autosave within 60 s"
        time.sleep(0.5)  # let a write under way finish: a kill mid-write must leave the older file whole anyway
    finally:
        os.killpg(app.pid, signal.SIGKILL)
        app.wait()
    folder = found[0].parent
    assert (folder / RUNNING_MARKER).exists()  # killed: no clean end
    actions = SessionActions(window, folder=folder)
    left = actions.start()
    assert left == folder / AUTOSAVE_NAME
    with qtbot.waitSignal(actions.opened, timeout=TIMEOUT) as opened:
        actions.open_session(left)
    assert opened.args == [True]
    frame = frame_where(qtbot, window, lambda f: f.snapshot.epoch > 0)
    assert window.dataset_key == "xor" and frame.snapshot.epoch > 0
