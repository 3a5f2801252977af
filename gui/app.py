"""Start the window.

    python main.py                                    open the window
    python main.py --screenshot out.png [--preset NAME | --dataset NAME|FILE.csv] [--epochs N] [--size WxH]
                                                      train N epochs, render the window offscreen, save a PNG

The window opens where it was closed last time (geometry and splitter sizes, kept with QSettings), clamped to
the screen as it is now; the first time, at 1400x900 or the screen's available area, whichever is smaller.
``--size`` asks for a size (still clamped to the screen); a screenshot is drawn at ``--size`` exactly.

Nothing heavy is imported before the display check, and numba compiles only after the window is shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

PROGRAM = "perceptron-playground"
WARM_UP_DELAY_MS = 200  # after the first frame, before the kernel's warm-up begins (its first paint comes between)
# Libraries Qt's xcb plugin needs beyond libxcb itself, and the Debian packages that hold them. When one is
# missing Qt's own message blames libxcb-cursor0 whatever it is, so we name the real one.
XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python main.py", description="Perceptron Playground: watch a small "
                                     "neural network learn. (Training without a window: python main.py train --help)")
    parser.add_argument("--screenshot", metavar="PNG", help="train, render the window offscreen, save it, exit")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--preset", metavar="NAME", help="start with a preset: notebook_000 ... notebook_004")
    choice.add_argument("--dataset", metavar="NAME|CSV", help="start with a dataset (xor, and_or, product, "
                        "single_point, two_points) or a CSV file")
    parser.add_argument("--epochs", type=int, metavar="N", help="max epochs (with --screenshot: epochs to train)")
    parser.add_argument("--size", metavar="WxH", help="window size (default: as last closed, or 1400x900; never "
                        "larger than the screen; a --screenshot is 1400x900 unless given)")
    parser.add_argument("--train", action="store_true", help="start training at once")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help=argparse.SUPPRESS)  # smoke tests
    parser.add_argument("--report-startup", action="store_true", help=argparse.SUPPRESS)  # bench/gui.py
    args = parser.parse_args(argv)
    args.width = args.height = None
    if args.size is not None:
        try:
            args.width, args.height = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            parser.error(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1400x900")
        if args.width <= 0 or args.height <= 0:
            parser.error(f"--size {args.size!r}: width and height must be positive")
    if args.epochs is not None and args.epochs < 0:
        parser.error("--epochs must be 0 or more")
    return args


def display_problem() -> str | None:
    """Why a window cannot open here, as one line saying what to do instead; None when it can."""
    env = os.environ
    if not sys.platform.startswith("linux") or env.get("QT_QPA_PLATFORM", "xcb") not in ("xcb", ""):
        return None
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY") and not env.get("QT_QPA_PLATFORM"):
        return (f"{PROGRAM}: no display (DISPLAY and WAYLAND_DISPLAY are unset): run it under `xvfb-run python "
                "main.py`, set QT_QPA_PLATFORM=offscreen, save a picture with `python main.py --screenshot out.png`, "
                "or train without a window with `python main.py train`.")
    if env.get("WAYLAND_DISPLAY") and not env.get("QT_QPA_PLATFORM"):
        return None  # Qt picks Wayland first
    missing = missing_xcb_packages()
    if missing:
        return (f"{PROGRAM}: Qt's X11 (xcb) plugin needs libraries that are missing: install them with "
                f"`sudo apt-get install {' '.join(missing)}` (or run with QT_QPA_PLATFORM=offscreen).")
    return None


def missing_xcb_packages() -> list[str]:
    """Debian packages of the xcb libraries that the dynamic linker's cache lacks ([] if it cannot tell)."""
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.path.exists("/sbin/ldconfig") else None)
    if ldconfig is None:
        return []
    try:
        cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    if "libxcb.so.1" not in cache:  # the cache does not list X libraries at all: it cannot tell us anything
        return []
    return [package for library, package in XCB_LIBRARIES.items() if library not in cache]


def one_blas_thread() -> None:
    """BLAS (NumPy's matrix products) on one thread while the window is live, unless the user chose otherwise:
    a second BLAS thread takes the core the GUI thread draws on, and stalls the window more than it speeds
    training. Read by OpenBLAS when NumPy is first imported, so this must come before."""
    if "numpy" in sys.modules:
        return
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def run_app(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a picture needs no screen
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    one_blas_thread()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([PROGRAM])
    app.setApplicationName("Perceptron Playground")
    app.setDesktopFileName("perceptron-playground")  # the menu entry of make install-desktop (Wayland matches by it)
    app.setOrganizationName("perceptron-playground")
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    # A screenshot is the same picture on every machine, and an offscreen window (a benchmark, a smoke test) is
    # seen by no one: they neither read nor write the saved layout.
    remember = not args.screenshot and app.platformName() not in ("offscreen", "minimal")
    window = MainWindow(settings=QSettings() if remember else None)
    try:
        if not start_with(window, args):
            return 2
        if args.screenshot:
            return take_screenshot(app, window, args)
        return run_window(app, window, args)
    finally:
        close_window(app, window)


def open_csv_now(window, path: str) -> bool:
    """Read a CSV file before the window is shown (its errors end the program): the window's own background
    reader, waited for."""
    from PySide6.QtCore import QCoreApplication, QEvent

    taken = []
    window.files.csv_finished.connect(taken.append)
    window.files.open_csv(path)
    window.files.wait_for_csv()
    QCoreApplication.sendPostedEvents(window.files, QEvent.Type.MetaCall.value)
    window.files.csv_finished.disconnect(taken.append)
    return bool(taken and taken[0])


def start_with(window, args) -> bool:
    """Apply --preset / --dataset / --epochs; False (after saying why) if they cannot be used."""
    from model.config import SettingError
    from model.presets import PRESETS

    try:
        if args.preset:
            if args.preset not in PRESETS:
                raise SettingError("--preset", args.preset, f"must be one of {', '.join(sorted(PRESETS))}")
            window.apply_preset(args.preset)
        elif args.dataset:
            if args.dataset.lower().endswith(".csv"):
                if not open_csv_now(window, args.dataset):
                    raise SettingError("--dataset", args.dataset, window.message_bar.label.text())
            else:
                from model.presets import DATASET_DEFAULTS

                if args.dataset not in DATASET_DEFAULTS:
                    raise SettingError("--dataset", args.dataset, "must be one of "
                                       f"{', '.join(sorted(DATASET_DEFAULTS))} or a .csv file")
                window.apply_dataset(args.dataset)
        else:
            window.restore_last_settings()  # the network of the last session, if it can be used
    except SettingError as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return False
    if args.epochs is not None:
        window.panel.max_epochs.setValue(max(1, args.epochs))
    size_window(window, args)
    return True


def size_window(window, args) -> None:
    """A screenshot: --size exactly (default 1400x900; offscreen there is no screen to fit). A window on screen:
    --size, or else the saved layout, or else the default size, never larger than the screen."""
    from PySide6.QtCore import QSize

    from gui.main_window import DEFAULT_SIZE

    wanted = QSize(args.width, args.height) if args.width else None
    if args.screenshot:
        window.resize(wanted or DEFAULT_SIZE)
    elif wanted is not None:
        window.restore_layout()  # the splitters as the user left them
        window.fit_to_screen(wanted)
    else:
        window.restore_layout()


def take_screenshot(app, window, args) -> int:
    from PySide6.QtCore import QEventLoop, QTimer

    window.show()
    if args.epochs != 0 and window.start_training():
        loop = QEventLoop()
        window.controller.run_stopped.connect(loop.quit)
        QTimer.singleShot(600_000, loop.quit)  # a safety net: a screenshot run never hangs
        if window.controller.running:
            loop.exec()
    window.refresh()
    window.wait_for_views()
    app.processEvents()
    if not window.grab().save(args.screenshot, "PNG"):
        print(f"{PROGRAM}: cannot write {args.screenshot}", file=sys.stderr)
        return 1
    frame = window.drawn_frame()
    epochs = frame.snapshot.epoch if frame else 0
    print(f"saved {args.screenshot} ({window.width()}x{window.height()}, {epochs:,} epochs trained)")
    return 0


def run_window(app, window, args) -> int:
    from PySide6.QtCore import QTimer

    draw_first_frame(window)
    window.show()
    start_kernel_warm_up(window)
    left = window.sessions.start()  # autosave from now on; a crashed window's autosave is offered to a person
    if left is not None and app.platformName() not in ("offscreen", "minimal"):
        QTimer.singleShot(0, lambda: offer_restore(window, left))
    if args.report_startup:
        QTimer.singleShot(0, report_startup)
    if args.train:
        QTimer.singleShot(0, window.start_training)
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    # Qt's event loop keeps Python from seeing Ctrl+C: close the window on SIGINT, and wake Python
    # regularly so the handler runs.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    wake = QTimer()
    wake.timeout.connect(_do_nothing)
    wake.start(200)
    code = app.exec()
    wake.stop()
    return code


def offer_restore(window, path) -> None:
    """The last window ended without closing (a crash, a kill): offer the network it autosaved."""
    from PySide6.QtWidgets import QMessageBox

    with window.paused():
        answer = QMessageBox.question(window, "Restore the last session?",
                                      "The last Perceptron Playground window ended without closing. Its network "
                                      "was saved while it trained: open it and go on from there?")
    if answer == QMessageBox.StandardButton.Yes:
        window.sessions.open_session(path)


def _do_nothing() -> None:
    pass


def draw_first_frame(window, timeout: float = 1.0) -> bool:
    """Lay the plots out for the first network before the window is shown: the busiest frame there is, done
    while nothing on screen waits for the event loop."""
    deadline = time.perf_counter() + timeout
    while not window.refresh():
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.002)  # the worker publishes the network's first frame within a millisecond or two
    return True


def when_first_drawn(window, work) -> None:
    """Run ``work`` once the window has drawn its first frame (laying out the plots is its busiest moment)."""

    def first(_seq: int) -> None:
        window.frame_drawn.disconnect(first)
        work()

    window.frame_drawn.connect(first)


def start_kernel_warm_up(window) -> None:
    """Load (or compile, in a child process) the compiled training loops in a background thread, the one the
    window's network trains on first. A run started meanwhile waits for its loop (kernel.pending) rather than
    train on NumPy. The thread starts once the window has drawn and painted its first frame: numba's import
    and the loading hold the GIL for half a second, which would slow the window's busiest moment."""
    from PySide6.QtCore import QTimer

    from model import kernel

    keys = [window.kernel_key] + [key for key in kernel.KEYS if key != window.kernel_key]
    kernel.expect(keys)

    def start() -> None:
        settle_after_start()
        kernel.warm_up_in_background(keys)

    when_first_drawn(window, lambda: QTimer.singleShot(WARM_UP_DELAY_MS, start))


def settle_after_start() -> None:
    """Move everything made so far (Qt wrappers, pyqtgraph items, modules) out of the garbage collector's
    sight: a full collection then looks only at new objects, which keeps its pauses of the event loop short.
    No collection first: it would take ~80 ms of the event loop, for garbage of a few kilobytes."""
    import gc

    gc.freeze()


def report_startup() -> None:
    print(f"window shown at {time.time():.6f}", flush=True)


def close_window(app, window) -> None:
    """Close and delete the window while Qt and Python are both whole: a pyqtgraph view still alive while
    the interpreter shuts down crashes it (exit 139)."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    window.shutdown()  # stops and joins the training thread
    window.close()
    if shiboken6.isValid(window):
        shiboken6.delete(window)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
