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
MAIN = [sys.executable, str(ROOT / "main.py")]
LONG = ["train", "--dataset", "product", "--mode", "sample", "--epochs", "3000000"]  # over an hour of training
STARTS_WITHIN = 120.0  # seconds for a child to start training: about 1 s, unless the machine stalls
# Runs main.py (argv[2], its arguments after it) and touches the file argv[1] once the CLI trains: after a slice
# that ended with an epoch done, inside its Ctrl+C handler. A --json run shows nothing a test could wait for.
TOUCH_WHEN_TRAINING = """
import runpy, sys
from pathlib import Path
import model.cli

training, show = Path(sys.argv[1]), model.cli._Progress.show

def show_and_tell(progress, trainer, epochs):
    show(progress, trainer, epochs)
    if trainer.epoch > 0:
        training.touch()

model.cli._Progress.show = show_and_tell
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.fixture(autouse=True, scope="module")
def compiled_loop_on_disk():
    """The compiled loop in numba's disk cache, so a child process trains within a fraction of a second."""
    kernel.warm_up()


def _telling_when_training(args, training: Path) -> list[str]:
    """The command running main.py with args that touches the file training once it trains."""
    return [sys.executable, "-c", TOUCH_WHEN_TRAINING, str(training), str(ROOT / "main.py"), *args]


def _stderr_once_killed(child) -> str:
    """For a failure message: the child's stderr, after killing it (a child left training runs for an hour)."""
    child.kill()
    err = child.communicate()[1]
    return err.decode() if isinstance(err, bytes) else err


def test_ctrl_c_stops_at_the_next_chunk_prints_the_result_and_exports(tmp_path, tmp_path_factory):
    path = tmp_path / "X.json"
    training = tmp_path_factory.mktemp("signal") / "training"  # not beside the export: it must be alone there
    child = subprocess.Popen(_telling_when_training([*LONG, "--export", str(path), "--json"], training),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + STARTS_WITHIN
    while not training.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert training.exists(), _stderr_once_killed(child)
    child.send_signal(signal.SIGINT)
    stopped = time.perf_counter()
    out, err = child.communicate(timeout=60)
    assert time.perf_counter() - stopped < 30  # the next chunk, not the hour's end (this process may stall too)
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


def _run_on_a_terminal(command, stop_when, seconds=STARTS_WITHIN):
    """Run command (main.py and its arguments) with stderr on a pseudo-terminal; send SIGINT once stop_when(stderr
    so far) holds (or after the seconds, or once it has ended). Returns (exit code, stdout, everything written to
    the terminal, its line ends made \n again)."""
    master, slave = pty.openpty()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, cwd=ROOT)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline and child.poll() is None and not stop_when(seen):
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
    code, out, terminal = _run_on_a_terminal([*MAIN, *LONG], lambda seen: seen.count(b"epochs/s") >= 3)
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


def test_no_progress_with_json_even_on_a_terminal(tmp_path):
    training = tmp_path / "training"
    code, out, terminal = _run_on_a_terminal(_telling_when_training([*LONG, "--json"], training),
                                             lambda seen: training.exists())
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
        out, deadline = b"", time.monotonic() + STARTS_WITHIN
        while out.count(b"\nupdate ") < 2000:  # the trace is under way
            printing = select.select([child.stdout], [], [], max(deadline - time.monotonic(), 0))[0]
            chunk = os.read(child.stdout.fileno(), 65536) if printing else b""
            assert chunk and time.monotonic() < deadline, "the trace ended or stalled: " + _stderr_once_killed(child)
            out += chunk
        child.send_signal(signal.SIGINT)
        rest, err = child.communicate(timeout=60)
        out, err = out + rest, err.decode()
        assert child.returncode == 130 and "Traceback" not in err
    lines = out.decode().splitlines()
    last_update = [line for line in lines if line.startswith("update ")][-1].split()[1]
    assert err.splitlines() == [f"interrupted (Ctrl+C) after epoch {int(last_update):,} (update {int(last_update):,}): "
                                "the result so far is above"]
    assert lines[-1].startswith(f"epochs {last_update}  updates {last_update}  train loss ")
