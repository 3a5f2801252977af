"""The engine benchmark still runs (its numbers are read by people, not asserted here)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_engine_benchmark_quick_run():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "engine.py"), "--quick"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    for workload in ("1. XOR 2-4-1 sample", "2. XOR 2-4-1 full", "3. product 2-5-1 full", "4. product 2-5-1 sample",
                     "5. 100,000 points 2-64-1 tanh full"):
        assert workload in run.stdout
    assert "textbook NumPy" in run.stdout and "Buffer reuse" in run.stdout
    assert run.stdout.count("PASS") + run.stdout.count("FAIL") + run.stdout.count("SKIP") == 5
