"""Benchmark of the window: frames, event-loop stalls, training speed live vs headless, start-up, memory.

    QT_QPA_PLATFORM=offscreen python bench/gui.py [--quick]

For XOR (one update per sample) and product (full batch) it trains flat out with the window live and prints
the plot frames per second, the longest and 99th-percentile stall of the event loop (a 10 ms heartbeat
timer), and epochs/s live against headless (the same trainer code with no window, in this process). Then
the time from process start to the first shown window (median of 5 launches) and resident memory before
and after 10^6 epochs. --quick runs each part briefly (for the test suite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 10
TARGET_FPS = 30.0
TARGET_STALL_P99_MS = 50.0
TARGET_LIVE_RATIO = 0.5
TARGET_STARTUP_S = 1.0
TARGET_MEMORY_MB = 300.0
WORKLOADS = (("XOR 2-4-1, one update per sample", "notebook_001"), ("product 2-5-1, full batch", "notebook_003"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def measure_startup(runs: int) -> list[float]:
    """Seconds from launching `python main.py` to its first shown window, per launch."""
    times = []
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for _ in range(runs):
        start = time.time()
        out = subprocess.run([sys.executable, str(ROOT / "main.py"), "--quit-after", "0.2", "--report-startup"],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
        shown = [line for line in out.stdout.splitlines() if line.startswith("window shown at")]
        if out.returncode != 0 or not shown:
            raise RuntimeError(f"main.py failed ({out.returncode}): {out.stderr.strip()[-500:]}")
        times.append(float(shown[0].split()[-1]) - start)
    return times


def headless_rate(preset_name: str, seconds: float) -> float:
    """Epochs per second of the trainer alone, flat out, in this thread."""
    from model.datasets import load_dataset
    from model.presets import PRESETS
    from model.trainer import Trainer

    preset = PRESETS[preset_name]
    trainer = Trainer(preset.config, load_dataset(preset.dataset))
    trainer.run(10**9, max_seconds=0.2)  # warm caches and workspaces
    start_epoch, start = trainer.epoch, time.perf_counter()
    trainer.run(10**9, max_seconds=seconds)
    return (trainer.epoch - start_epoch) / (time.perf_counter() - start)


class LiveRun:
    """Trains flat out with the window live for a while; records frames and heartbeat gaps."""

    def __init__(self, app, window):
        from PySide6.QtCore import QTimer

        self.app, self.window = app, window
        self.beats: list[float] = []
        self.frames = 0
        self.heartbeat = QTimer()
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self.beat)
        window.frame_drawn.connect(self.count_frame)

    def beat(self) -> None:
        self.beats.append(time.perf_counter())

    def count_frame(self, _seq: int) -> None:
        self.frames += 1

    def run(self, preset_name: str, seconds: float) -> dict:
        window = self.window
        window.apply_preset(preset_name, confirm=False)
        window.panel.max_epochs.setValue(2_000_000_000)
        self.spin(0.3)  # the new network is laid out and drawn
        self.beats, self.frames = [], 0
        first = window.drawn_frame().snapshot.epoch
        self.heartbeat.start()
        start = time.perf_counter()
        window.start_training()
        self.spin(seconds)
        elapsed = time.perf_counter() - start
        self.heartbeat.stop()
        last = window.drawn_frame().snapshot.epoch
        window.pause_training()
        self.spin(0.2)
        gaps = [(b - a) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False)]
        gaps.sort()
        return {"fps": self.frames / elapsed, "epochs_per_s": (last - first) / elapsed,
                "stall_max": gaps[-1] if gaps else float("nan"),
                "stall_p99": gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))] if gaps else float("nan")}

    def spin(self, seconds: float) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()


def memory_run(app, window, epochs: int, live: LiveRun) -> tuple[float, list[tuple[int, float]]]:
    """Resident memory before, and while training XOR (full batch) to ``epochs`` with the window live."""
    from PySide6.QtCore import QEventLoop, QTimer

    window.apply_dataset("xor", confirm=False)
    live.spin(0.3)
    before = rss_mb()
    window.panel.max_epochs.setValue(epochs)
    samples = []
    loop = QEventLoop()
    window.controller.run_stopped.connect(loop.quit)

    def sample():
        frame = window.drawn_frame()
        samples.append((frame.snapshot.epoch if frame else 0, rss_mb()))

    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(500)
    QTimer.singleShot(300_000, loop.quit)
    window.start_training()
    loop.exec()
    sampler.stop()
    live.spin(0.2)
    sample()
    return before, samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (for the test suite)")
    parser.add_argument("--seconds", type=float, help="seconds of each live run (default 10, quick 1.5)")
    args = parser.parse_args(argv)
    live_seconds, headless_seconds = (1.5, 0.5) if args.quick else (10.0, 3.0)
    live_seconds = args.seconds or live_seconds
    startup_runs, memory_epochs = (1, 20_000) if args.quick else (5, 1_000_000)

    startup = measure_startup(startup_runs)
    from PySide6.QtWidgets import QApplication

    from gui.app import close_window, settle_after_start
    from model import kernel

    app = QApplication.instance() or QApplication(["bench"])
    compiled = kernel.warm_up()  # steady state: the app compiles it in the background
    from gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    settle_after_start()
    live = LiveRun(app, window)
    failures = 0
    print(f"Perceptron Playground window benchmark ({'quick' if args.quick else 'full'}; Qt platform "
          f"{app.platformName()}; compiled kernel {'ready' if compiled else 'unavailable'}; {os.cpu_count()} cores)")
    try:
        for number, (title, preset) in enumerate(WORKLOADS, start=1):
            headless = headless_rate(preset, headless_seconds)
            result = live.run(preset, live_seconds)
            ratio = result["epochs_per_s"] / headless if headless else float("nan")
            checks = [result["fps"] >= TARGET_FPS, result["stall_p99"] < TARGET_STALL_P99_MS,
                      ratio >= TARGET_LIVE_RATIO]
            failures += checks.count(False)
            print(f"\n{number}. {title} ({preset}), {live_seconds:g} s live")
            print(f"   plot frames per second       {result['fps']:8.1f}   target >= {TARGET_FPS:g}   "
                  f"{verdict(checks[0])}")
            print(f"   event-loop stall p99 / max   {result['stall_p99']:8.1f} / {result['stall_max']:.1f} ms   "
                  f"target p99 < {TARGET_STALL_P99_MS:g} ms   {verdict(checks[1])}")
            print(f"   epochs/s live / headless     {result['epochs_per_s']:10,.0f} / {headless:,.0f} "
                  f"= {ratio:.2f}   target >= {TARGET_LIVE_RATIO:g}   {verdict(checks[2])}")
        before, samples = memory_run(app, window, memory_epochs, live)
    finally:
        close_window(app, window)
    median = statistics.median(startup)
    failures += median > TARGET_STARTUP_S
    print(f"\n3. start-up: process start to first shown window, median of {len(startup)}: {median:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in startup)})   target <= {TARGET_STARTUP_S:g} s   "
          f"{verdict(median <= TARGET_STARTUP_S)}")
    peak = max(mb for _, mb in samples)
    final_epoch, final = samples[-1]
    flat = final - before < 50
    ok = peak < TARGET_MEMORY_MB and flat
    failures += not ok
    trail = ", ".join(f"{mb:.0f} MB at {epoch:,}" for epoch, mb in samples[:: max(1, len(samples) // 6)])
    print(f"4. resident memory: {before:.0f} MB with the window shown, {final:.0f} MB after {final_epoch:,} epochs "
          f"(peak {peak:.0f} MB; {trail})   target < {TARGET_MEMORY_MB:g} MB and flat   {verdict(ok)}")
    print(f"\n{failures} target(s) missed" if failures else "\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
