"""The benchmarks still run (their numbers are read by people, not asserted here)."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_quick_run():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "engine.py"), "--quick"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    for workload in ("1. XOR 2-4-1 sample", "2. XOR 2-4-1 full", "3. product 2-5-1 full", "4. product 2-5-1 sample",
                     "5. 100,000 points 2-64-1 tanh full", "6. product 2-1024-1 tanh sample"):
        assert workload in run.stdout
    assert "textbook NumPy" in run.stdout and "Buffer reuse" in run.stdout
    assert "minimal compiled loop" in run.stdout and run.stdout.count("; ours on the ") == 6
    assert "DIFFERENT RESULT" not in run.stdout  # every implementation computed the same updates as ours
    verdicts = [line.split()[0] for line in run.stdout.splitlines() if line.startswith(("  PASS", "  FAIL", "  SKIP"))]
    assert len(verdicts) == 11  # bench/engine.py TARGETS: ten speed targets and the memory one
    assert "M. full batch, 100,000 rows x 1024 hidden" in run.stdout  # --quick measures the memory on 10^5 rows


def test_data_benchmark_quick_run():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "data.py"), "--quick"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "numpy.loadtxt" in run.stdout and "load_csv(standardize=True)" in run.stdout
    assert "same values as numpy.loadtxt: yes; standardised values scale back to the file's: yes" in run.stdout
    verdicts = [line.split()[0] for line in run.stdout.splitlines() if line.startswith(("  PASS", "  FAIL"))]
    assert len(verdicts) == 3 and set(verdicts) <= {"PASS", "FAIL"}


def test_window_benchmark_quick_run():
    """bench/gui.py --quick: every case runs (30-40 s on two busy cores; minutes more when numba's cache is stale
    and it compiles the loops first) and the table lists every target."""
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "gui.py"), "--quick"], capture_output=True,
                         text=True, timeout=600, cwd=ROOT, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr  # an exception in the window (a slot) would spoil the numbers
    for case in ("1. XOR 2-4-1", "2. product 2-5-1", "3. 2-256-1 on a 100,000-row CSV", "4. product 2-1024-1",
                 "5. start-up: process start to first shown window", "6. start-up while training",
                 "7. resident memory", "8. every view open"):
        assert case in run.stdout
    for mode in ("   sample (", "   random_sample (", "   minibatch (", "   full ("):
        assert mode in run.stdout  # case 3 trains in every update mode
    measured = [line.strip() for line in run.stdout.splitlines()]
    # 2 presets, 4 modes, 1024 hidden units, and every view open on 3 networks:
    assert sum(line.startswith("plot frames per second") for line in measured) == 10
    assert sum(line.startswith("Pause: worker stopped / drawn") for line in measured) == 10
    assert sum(line.startswith("scrub, slider to views drawn") for line in measured) == 3
    assert "numba cache present (yes)" in run.stdout and "boundary image  " in run.stdout
    verdicts = [line.split()[0] for line in run.stdout.splitlines() if line.startswith(("  PASS", "  FAIL", "  SKIP"))]
    assert len(verdicts) == 24  # bench/gui.py TARGETS
    assert verdicts.count("SKIP") == 1  # --quick leaves out the start-up without numba's cache
    assert "THE NETWORK DIVERGED" not in run.stdout  # every live run trained to the end


def test_engine_benchmark_imports_from_a_plain_checkout(tmp_path):
    """bench/engine.py puts the repository on sys.path itself: it runs as a script from any directory without the
    app installed (-S skips the .pth files, the editable install among them; the packages stay importable through
    PYTHONPATH), and as ``python -m bench.engine`` from the repository root. Each runs the memory child on 1,000
    rows: about a second."""
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    script = [sys.executable, "-S", str(ROOT / "bench" / "engine.py"), "--memory-child", "1000"]
    module = [sys.executable, "-m", "bench.engine", "--memory-child", "1000"]
    for command, cwd in ((script, tmp_path), (module, ROOT)):
        run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env)
        assert run.returncode == 0, run.stderr
        child = json.loads(run.stdout.splitlines()[-1])
        assert child["rows"] == 1000 and child["stopped_by"] == "epochs" and child["peak_mb"] > 0


def test_session_benchmark_quick_run():
    """bench/session.py --quick: every target is printed with a verdict (timings are not judged here)."""
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "session.py"), "--quick"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    verdicts = [line.split()[0] for line in run.stdout.splitlines() if line.startswith(("  PASS", "  FAIL"))]
    assert len(verdicts) == 6, run.stdout  # save / open a long run and big data, autosave's cost twice
