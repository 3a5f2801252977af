"""Starting the app as a user does: no display, a screenshot, a real window under Xvfb, the benchmark."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from xvfb_support import xvfb_missing_reason

ROOT = Path(__file__).resolve().parents[1]
DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def run_main(*args, env=None, timeout=120):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def env_without_display() -> dict:
    return {k: v for k, v in os.environ.items() if k not in DISPLAY_VARIABLES}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_without_a_display_it_says_so_in_one_line_and_how_to_proceed():
    run = run_main(env=env_without_display(), timeout=60)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "no display" in lines[0] and "xvfb-run" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert "python main.py train" in lines[0]
    assert run.stdout == ""


def test_screenshot_trains_renders_offscreen_and_saves_a_png(tmp_path):
    out = tmp_path / "window.png"
    run = run_main("--screenshot", str(out), "--preset", "notebook_002", "--epochs", "300",
                   env=env_without_display())  # needs no display: it renders offscreen
    assert run.returncode == 0, run.stderr
    assert "300 epochs trained" in run.stdout
    assert png_size(out) == (1400, 900)
    assert run.stderr == ""  # no Qt warning, no thread warning


def test_a_bad_preset_is_one_message_not_a_traceback(tmp_path):
    run = run_main("--screenshot", str(tmp_path / "x.png"), "--preset", "notebook_999", env=env_without_display())
    assert run.returncode == 2
    assert "notebook_999" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(xvfb_missing_reason() is not None, reason=str(xvfb_missing_reason()))
def test_a_real_window_opens_under_xvfb_trains_and_quits_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARIABLES}
    env["XDG_CONFIG_HOME"] = str(tmp_path)  # the window saves its layout on quit: not into the user's settings
    run = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, str(ROOT / "main.py"),
                          "--train", "--quit-after", "1.0", "--report-startup"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "window shown at" in run.stdout
    assert "QThread" not in run.stderr and "Warning" not in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.rglob("*.conf"))  # the layout was remembered, in the folder given


def test_the_window_leaves_a_core_to_the_gui_thread_one_blas_thread():
    # OpenBLAS starts one thread per core when NumPy is imported; the window's process asks for one.
    code = ("import os; from gui.app import one_blas_thread; one_blas_thread(); import numpy; "
            "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    threads = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
    assert threads.stdout.split() == ["1"], threads.stderr
