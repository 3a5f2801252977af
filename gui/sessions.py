"""Sessions in the window: File > Save session / Open session, and autosave with restore after a crash.

A session file (model/session.py) holds the whole run: settings, data, initial and current weights, history, the
sample-order stream, the event log. The worker copies the run between steps (Trainer.export_state, a few ms); the
file is written by a background thread, and read by one, so neither the GUI thread nor training waits for the disk.

Autosave: while a network trains, its session is written to the application data folder every AUTOSAVE_SECONDS,
and on quit. A marker file says a window is running; a clean quit removes it. A launch that finds the marker
and an autosave (the last window was killed or crashed) offers to restore it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal, Slot

from model.config import SettingError
from model.session import SUFFIX, Session, load_session, save_session

AUTOSAVE_SECONDS = 5.0
AUTOSAVE_NAME = f"autosave{SUFFIX}"
RUNNING_MARKER = "window-running"  # present while a window runs; left behind by a crash
AUTOSAVE = "autosave"  # the purpose of a state copy made for autosave (else: the path to save to)
SESSION_FILTERS = f"Perceptron Playground session (*{SUFFIX})"


def data_folder() -> Path:
    """The platform's application data folder (Linux: ~/.local/share/perceptron-playground/...)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class SessionActions(QObject):
    saved = Signal(bool, str)  # written?, the path or the reason it was not
    opened = Signal(bool)  # the session's network is now the one in use
    _written = Signal(bool, str)  # from the writing thread
    _read = Signal(object, str)  # Session or None, the path or the reason; from the reading thread

    def __init__(self, window, folder: Path | None = None):
        super().__init__(window)
        self.window = window
        self.folder = Path(folder) if folder is not None else data_folder()
        self._writing: threading.Thread | None = None
        self.started = False  # autosaving (a window of the app, not a test's or a screenshot's)
        self._written.connect(self._after_write)
        self._read.connect(self._after_read)
        window.controller.state_ready.connect(self._state_ready)
        self.timer = QTimer(self)
        self.timer.setInterval(int(AUTOSAVE_SECONDS * 1000))
        self.timer.timeout.connect(self.autosave_if_training)

    @property
    def autosave_path(self) -> Path:
        return self.folder / AUTOSAVE_NAME

    # --- saving ------------------------------------------------------------------------------------------
    def save_session(self, path: str | Path) -> bool:
        """Save the network in use to ``path`` (when the worker has copied it; saved says how it went)."""
        path = Path(path)
        if not path.name.lower().endswith(SUFFIX):
            self.window.show_error(f"session = {str(path)!r}: must end in {SUFFIX}", topic="export")
            return False
        self.window.controller.request_state(self.window.network_id, str(path))
        return True

    @Slot()
    def autosave_if_training(self) -> None:
        if self.window.controller.running and self._writing is None:
            self.window.controller.request_state(self.window.network_id, AUTOSAVE)

    @Slot(int, str, object)
    def _state_ready(self, network: int, purpose: str, state) -> None:
        if network != self.window.network_id:
            return
        path = self.autosave_path if purpose == AUTOSAVE else Path(purpose)
        (extra, extra_arrays), initial = self.window.session_facts(), self.window.initial_theta

        def write() -> None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                save_session(path, state, initial_theta=initial, extra=extra, extra_arrays=extra_arrays)
            except (SettingError, OSError) as exc:
                self._written.emit(False, f"Could not save the session: {exc}")
                return
            self._written.emit(True, "" if purpose == AUTOSAVE else str(path))

        self._writing = threading.Thread(target=write, name="session-writer", daemon=True)
        self._writing.start()

    @Slot(bool, str)
    def _after_write(self, ok: bool, said: str) -> None:
        self._writing = None
        if not ok:
            self.window.show_error(said, topic="export")
        elif said:
            self.window.clear_error("export")
            self.window.show_status(f"Saved the session to {said}")
            self.window.files.recent.add(said)
        self.saved.emit(ok, said)

    def wait_for_write(self, timeout: float | None = None) -> None:
        writing = self._writing
        if writing is not None:
            writing.join(timeout)

    def save_on_quit(self, trainer) -> None:
        """The last autosave, on the GUI thread as the window closes (the worker has stopped: the trainer is
        nobody else's now). Then the marker goes: this window ended cleanly."""
        if not self.started:
            return
        self.wait_for_write()
        if trainer is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                extra, extra_arrays = self.window.session_facts()
                save_session(self.autosave_path, trainer, initial_theta=self.window.initial_theta, extra=extra,
                             extra_arrays=extra_arrays)
            except (SettingError, OSError):
                pass  # closing: nowhere to say it; the previous autosave stays whole
        (self.folder / RUNNING_MARKER).unlink(missing_ok=True)

    # --- opening -----------------------------------------------------------------------------------------
    def open_session(self, path: str | Path) -> None:
        """Read a session in the background; its network then replaces the one in use (Undo brings that back)."""
        path = Path(path)

        def read() -> None:
            try:
                self._read.emit(load_session(path), str(path))
            except SettingError as exc:
                self._read.emit(None, str(exc))
            except OSError as exc:  # load_session names its own; a last guard
                self._read.emit(None, f"session = {str(path)!r}: cannot be read: {exc}")

        threading.Thread(target=read, name="session-reader", daemon=True).start()

    @Slot(object, str)
    def _after_read(self, session: Session | None, said: str) -> None:
        if session is None:
            self.window.show_error(said)
            self.opened.emit(False)
            return
        taken = self.window.adopt_session(session, Path(said))
        if taken and Path(said) != self.autosave_path:
            self.window.files.recent.add(said)
        self.opened.emit(taken)

    # --- a crash's autosave ------------------------------------------------------------------------------
    def start(self) -> Path | None:
        """A window starts: the autosave a crashed window left (to offer), if any; then this window's marker."""
        marker = self.folder / RUNNING_MARKER
        left = self.autosave_path if marker.exists() and self.autosave_path.is_file() else None
        self.folder.mkdir(parents=True, exist_ok=True)
        marker.write_text("a Perceptron Playground window is running\n")
        self.started = True
        self.timer.start()
        return left
