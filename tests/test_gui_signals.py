"""Regression guard: PySide6 6.12.0 on Python 3.11 drops a reference to True on every Signal.emit() and
aborts the interpreter after a few thousand emits (that version is excluded in pyproject.toml).

The emits run in a child process, so a crash fails this test instead of killing the test run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

EMITS = 20_000

CHILD = textwrap.dedent(f"""
    import os, sys
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

    class Emitter(QObject):
        flag = Signal(bool)
        done = Signal()

        @Slot()
        def run(self):
            for i in range({EMITS}):
                self.flag.emit(i % 2 == 0)
            self.done.emit()

    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.count = 0

        @Slot(bool)
        def take(self, value):
            self.count += 1

    app = QCoreApplication([])
    before = sys.getrefcount(True)
    thread = QThread()
    emitter, receiver = Emitter(), Receiver()
    emitter.moveToThread(thread)
    emitter.flag.connect(receiver.take)  # queued: across threads
    emitter.done.connect(app.quit)
    thread.started.connect(emitter.run)
    thread.start()
    app.exec()
    app.processEvents()
    thread.quit()
    thread.wait()
    print(receiver.count, before - sys.getrefcount(True))
""")


def test_twenty_thousand_cross_thread_emits_keep_the_process_and_true_alive():
    run = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"the process died ({run.returncode}): {run.stderr[-2000:]}"
    received, dropped = (int(v) for v in run.stdout.split())
    assert received == EMITS
    assert dropped < 1000, f"sys.getrefcount(True) fell by {dropped} over {EMITS} emits"
