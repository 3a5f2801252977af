"""Ctrl+C during a long ``train`` keeps the run: the result so far, --export written, exit 130, no traceback.
A long run shows its progress on stderr when stderr is a terminal, one line rewritten in place."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from model import kernel
from model.cli import progress_line
from model.weights_io import load_weights

ROOT = Path(__file__).resolve().parents[1]
LONG = ["train", "--dataset", "product", "--mode", "sample", "--epochs", "3000000"]


@pytest.fixture(autouse=True, scope="module")
def compiled_loop_on_disk():
    """The compiled loop in numba's disk cache, so a child process trains within a fraction of a second."""
    kernel.warm_up()


def test_ctrl_c_stops_at_the_next_chunk_prints_the_result_and_exports(tmp_path):
    path = tmp_path / "X.json"
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *LONG, "--export", str(path), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(3.0)  # started: numba loaded (about 1.5 s) and training
    assert child.poll() is None, child.communicate()
    child.send_signal(signal.SIGINT)
    stopped = time.perf_counter()
    out, err = child.communicate(timeout=60)
    assert time.perf_counter() - stopped < 5
    assert child.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    result = json.loads(out)
    assert 0 < result["epochs"] < 3_000_000 and result["interrupted"] is True
    assert err.splitlines() == [f"interrupted (Ctrl+C) after epoch {result['epochs']:,} "
                                f"(update {result['updates']:,}): the result so far is above"]
    saved = load_weights(path)
    assert (saved.epochs, saved.updates) == (result["epochs"], result["updates"])
    np.testing.assert_array_equal(saved.params.W1, result["weights"]["W1"])
    assert [p.name for p in tmp_path.iterdir()] == ["X.json"]


def _run_on_a_terminal(args, stop_when, seconds=10.0):
    """Run main.py with stderr on a pseudo-terminal; send SIGINT once stop_when(stderr so far) holds (or after
    the seconds). Returns (exit code, stdout, everything written to the terminal, its line ends made \n again)."""
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], stdout=subprocess.PIPE, stderr=slave,
                             stdin=subprocess.DEVNULL, cwd=ROOT)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline and not stop_when(seen):
        if select.select([master], [], [], 0.1)[0]:
            seen += _read(master)
    child.send_signal(signal.SIGINT)
    out = child.communicate(timeout=60)[0].decode()
    while True:
        chunk = _read(master)
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return child.returncode, out, seen.decode().replace("\r\n", "\n")


def _read(fd) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: the child closed the terminal and everything has been read
        return b""


def test_a_long_run_shows_its_progress_on_a_terminal():
    code, out, terminal = _run_on_a_terminal(LONG, lambda seen: seen.count(b"epochs/s") >= 3)
    assert code == 130
    updates = terminal.split("\r")
    progress = [u for u in updates if "epochs/s" in u]
    assert len(progress) >= 3
    for line in progress:
        words = line.split()
        assert words[0] == "epoch" and words[1].endswith("/3,000,000") and "loss" in words and "left" in words
    epochs = [int(line.split()[1].split("/")[0].replace(",", "")) for line in progress]
    assert epochs == sorted(epochs) and epochs[-1] > 0
    # the line is cleared before the closing note: nothing of it is left on the screen
    assert terminal.split("\r")[-2].strip() == "" and terminal.split("\r")[-1].startswith("interrupted (Ctrl+C)")
    assert "Traceback" not in terminal
    assert "epochs/s" not in out and out.startswith("product: 16 hidden tanh")
    result_line = next(line for line in out.splitlines() if line.startswith("epochs "))
    assert int(result_line.split()[1]) >= epochs[-1]


def test_no_progress_with_json_even_on_a_terminal():
    code, out, terminal = _run_on_a_terminal([*LONG, "--json"], lambda seen: False, seconds=3.0)
    assert code == 130 and json.loads(out)["epochs"] > 0
    assert "\r" not in terminal and "epochs/s" not in terminal


def test_progress_line():
    assert progress_line(12_345, 3_000_000, 0.0123456789, 4567.8) == (
        "epoch 12,345/3,000,000  loss 0.0123457  4,568 epochs/s  10m 54s left")
    assert progress_line(0, 100, None, 0.0) == "epoch 0/100  loss n/a  0 epochs/s  ? left"
    assert progress_line(10, 100, 1e300, 3.0).endswith("loss 1e+300  3 epochs/s  30s left")
    assert progress_line(0, 36_000, 2.0, 4.0).endswith("2h 30m left")
    assert progress_line(0, 2_410, 2.0, 10.0).endswith("4m 01s left")
    assert progress_line(1, 10**9, 2.0, 10.0).endswith("1,157d 09h left")


def test_ctrl_c_during_a_trace_stops_after_the_update_it_was_making():
    command = [sys.executable, str(ROOT / "main.py"), "train", "--preset", "notebook_000", "--epochs", "100000000",
               "--trace"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT) as child:
        out = b""
        while out.count(b"\nupdate ") < 2000:  # the trace is under way
            out += os.read(child.stdout.fileno(), 65536)
        child.send_signal(signal.SIGINT)
        while chunk := os.read(child.stdout.fileno(), 65536):
            out += chunk
        err = child.stderr.read().decode()
        assert child.wait(timeout=60) == 130 and "Traceback" not in err
    lines = out.decode().splitlines()
    last_update = [line for line in lines if line.startswith("update ")][-1].split()[1]
    assert err.splitlines() == [f"interrupted (Ctrl+C) after epoch {int(last_update):,} (update {int(last_update):,}): "
                                "the result so far is above"]
    assert lines[-1].startswith(f"epochs {last_update}  updates {last_update}  train loss ")
