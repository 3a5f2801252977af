"""Benchmark of the window: frames, event-loop stalls, training speed live vs headless, Pause, start-up, memory.

    QT_QPA_PLATFORM=offscreen python bench/gui.py [--quick]

Each live case trains flat out with the window shown (offscreen) and measures, side by side in this one run: plot
frames per second; event-loop stalls, from a 10 ms heartbeat timer on the GUI thread (a stall is how late a beat
came: the gap between two beats less 10 ms), their 99th percentile and the longest; epochs/s live against headless
(a Trainer of the same settings with no window, in this process, flat out; an unfinished epoch's updates count as
a fraction); and how long Pause takes: from pause_training() until the worker's first frame that is not running
(Frame.time, stamped when the worker published it, so exact whatever the polling) and, for information, until the
window has drawn it.

 1. XOR 2-4-1, one update per sample (notebook_001)
 2. product 2-5-1, full batch (notebook_003)
 3. 2-256-1 on a 100,000-row CSV (two moons, written to a temporary folder and opened the user's way, read in the
    background), in every update mode; also resident memory while training (the peak, sampled every 0.25 s)
 4. product with 1024 hidden units (mini-batches of 32, lr 0.003: the dataset's 0.1 diverges at this size); also
    the size of the boundary image
 5. start-up: process start to the first shown window (median of 5 launches of `main.py`)
 6. start-up while training: a child process (this file, --startup-child) runs the app's own run_app with
    --train (XOR, the default dataset; --epochs 2e9) and a heartbeat from the first turn of the event loop (Train is
    pressed then); for 20 s it records the longest stall and when the frames drawn first show the compiled kernel
    in use. Once with numba's cache as it is (this process has made sure it holds the loops), once with
    NUMBA_CACHE_DIR an empty temporary folder, so numba must compile (the compiled kernel cannot then be in use
    within 2 s: only the stall target applies). The child runs in its own process group, ended afterwards.
 7. resident memory before and after 10^6 epochs of XOR
 8. every view open (the network diagram with its neuron maps, the hidden space, the loss and weight plots): XOR
    2-4-1 per sample, product 2-64-1 and 2-1024-1; and scrubbing: from moving the history slider to the views
    drawn with that epoch's weights (the median and the worst of 20 moves, paused; the target), and on to the
    boundary's and the maps' images computed in their threads (printed: a big network's boundary counts with its
    preview)

A table of every target with PASS, FAIL (or SKIP: not measured) ends the output; the exit status is 0 whatever
it says. --quick (for the test suite, under a minute): 1-1.5 s per live run, a shorter memory run, and case 6
only with the cache present, for 3 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

HEARTBEAT_MS = 10
RSS_SAMPLE_MS = 250
TARGET_FPS = 30.0
TARGET_STALL_P99_MS = 50.0
TARGET_LIVE_RATIO = 0.5
TARGET_STARTUP_S = 1.0
TARGET_MEMORY_MB = 300.0
TARGET_GROWTH_MB = 50.0
TARGET_BIG_MEMORY_MB = 400.0
TARGET_PAUSE_MS = 50.0
TARGET_IMAGE_SIDE = 100
TARGET_STARTUP_STALL_MS = 100.0
TARGET_COMPILED_S = 2.0
TARGET_SCRUB_MS = 33.0  # one frame at ~30 frames per second
WORKLOADS = (("XOR 2-4-1, one update per sample", "notebook_001"), ("product 2-5-1, full batch", "notebook_003"))
BIG_ROWS, BIG_HIDDEN, HUGE_HIDDEN = 100_000, 256, 1024
HUGE_LR = 0.003  # product's own lr (0.1) diverges within 3 epochs with 1024 hidden units, and so does 0.01
EVERY_VIEW_CASES = (("XOR 2-4-1, one update per sample", "xor", 4, "sample"),  # the most frames of news
                    ("product 2-64-1", "product", 64, None),
                    (f"product 2-{HUGE_HIDDEN}-1", "product", HUGE_HIDDEN, None))
PAUSE_WAIT_S = 5.0  # how long a Pause is waited for (longer: reported as not served)


@dataclass(frozen=True)
class Target:
    """One line of the final table: the measurement ``key`` in the results must be at most / at least a bound."""

    case: str  # the case's number, as printed above its measurements
    what: str
    key: str
    at_most: float | None = None
    at_least: float | None = None
    strict: bool = False  # "under": strictly below at_most
    unit: str = ""

    def requirement(self) -> str:
        if self.at_most is not None:
            return f"{'<' if self.strict else '<='} {self.at_most:g}{self.unit}"
        return f">= {self.at_least:g}{self.unit}"

    def met(self, value: float) -> bool:
        if self.at_most is not None:
            return value < self.at_most if self.strict else value <= self.at_most
        return value >= self.at_least


TARGETS = (
    Target("1", "plot frames per second", "1.fps", at_least=TARGET_FPS),
    Target("1", "event-loop stall p99", "1.stall_p99", at_most=TARGET_STALL_P99_MS, strict=True, unit=" ms"),
    Target("1", "epochs/s live / headless", "1.ratio", at_least=TARGET_LIVE_RATIO),
    Target("2", "plot frames per second", "2.fps", at_least=TARGET_FPS),
    Target("2", "event-loop stall p99", "2.stall_p99", at_most=TARGET_STALL_P99_MS, strict=True, unit=" ms"),
    Target("2", "epochs/s live / headless", "2.ratio", at_least=TARGET_LIVE_RATIO),
    Target("3", "resident memory, every mode", "3.rss", at_most=TARGET_BIG_MEMORY_MB, strict=True, unit=" MB"),
    Target("3", "plot frames per second, every mode", "3.fps", at_least=TARGET_FPS),
    Target("3", "event-loop stall p99, every mode", "3.stall_p99", at_most=TARGET_STALL_P99_MS, strict=True,
           unit=" ms"),
    Target("3", "epochs/s live / headless, every mode", "3.ratio", at_least=TARGET_LIVE_RATIO),
    Target("3", "Pause until the worker stops, every mode", "3.pause", at_most=TARGET_PAUSE_MS, unit=" ms"),
    Target("4", "plot frames per second", "4.fps", at_least=TARGET_FPS),
    Target("4", "event-loop stall p99", "4.stall_p99", at_most=TARGET_STALL_P99_MS, strict=True, unit=" ms"),
    Target("4", "epochs/s live / headless", "4.ratio", at_least=TARGET_LIVE_RATIO),
    Target("4", "boundary image, pixels per side", "4.image", at_least=TARGET_IMAGE_SIDE),
    Target("5", "start-up to the shown window, median", "5.startup", at_most=TARGET_STARTUP_S, unit=" s"),
    Target("6", "cache present: longest stall", "6.present.stall", at_most=TARGET_STARTUP_STALL_MS, unit=" ms"),
    Target("6", "cache present: compiled kernel after Train", "6.present.compiled", at_most=TARGET_COMPILED_S,
           unit=" s"),
    Target("6", "cache absent: longest stall", "6.absent.stall", at_most=TARGET_STARTUP_STALL_MS, unit=" ms"),
    Target("8", "plot frames per second, every view, worst", "8.fps", at_least=TARGET_FPS),
    Target("8", "event-loop stall p99, every view, worst", "8.stall_p99", at_most=TARGET_STALL_P99_MS, strict=True,
           unit=" ms"),
    Target("8", "scrub: slider to views drawn, worst", "8.scrub", at_most=TARGET_SCRUB_MS, unit=" ms"),
    Target("7", "resident memory, peak", "7.peak", at_most=TARGET_MEMORY_MB, strict=True, unit=" MB"),
    Target("7", "resident memory, growth over the run", "7.growth", at_most=TARGET_GROWTH_MB, strict=True,
           unit=" MB"),
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stall_stats(beats: list[float]) -> tuple[float, float]:
    """The 99th percentile and the longest stall, in ms, of heartbeats at perf_counter times ``beats``."""
    stalls = sorted(max(0.0, (b - a) * 1000 - HEARTBEAT_MS) for a, b in pairwise(beats))
    if not stalls:
        return float("nan"), float("nan")
    return stalls[min(len(stalls) - 1, int(0.99 * len(stalls)))], stalls[-1]


def progress(snapshot) -> float:
    """Epochs trained, counting the unfinished one's updates as a fraction (an epoch of 100,000 updates is long)."""
    return snapshot.epoch + snapshot.position / snapshot.updates_per_epoch


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


def headless_rate(config, dataset, seconds: float) -> float:
    """Epochs per second of a Trainer alone, flat out, in this thread (NaN if it diverged: no rate to compare)."""
    from model.trainer import Trainer

    trainer = Trainer(config, dataset)
    trainer.run(10**9, max_seconds=0.2)  # warm caches and workspaces
    start_progress, start = trainer.epoch + trainer.position / trainer.updates_per_epoch, time.perf_counter()
    trainer.run(10**9, max_seconds=seconds)
    done = trainer.epoch + trainer.position / trainer.updates_per_epoch - start_progress
    return float("nan") if trainer.diverged else done / (time.perf_counter() - start)


def preset_rate(preset_name: str, seconds: float) -> float:
    from model.datasets import load_dataset
    from model.presets import PRESETS

    preset = PRESETS[preset_name]
    return headless_rate(preset.config, load_dataset(preset.dataset), seconds)


class Heartbeat:
    """A 10 ms timer on the GUI thread that notes when it fires. The times it is started and stopped count as beats
    too, so a loop blocked from the start (no beat at all) still shows as one long stall."""

    def __init__(self):
        from PySide6.QtCore import Qt, QTimer

        self.beats: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.beat)

    def start(self) -> None:
        self.beats = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.beats.append(time.perf_counter())

    def beat(self) -> None:
        self.beats.append(time.perf_counter())


class LiveRun:
    """Trains flat out with the window live for a while; records frames, heartbeat gaps, memory and Pause."""

    def __init__(self, app, window):
        from PySide6.QtCore import QTimer

        self.app, self.window = app, window
        self.heartbeat = Heartbeat()
        self.frames = 0
        self.rss_peak = 0.0
        self.sampler = QTimer()
        self.sampler.setInterval(RSS_SAMPLE_MS)
        self.sampler.timeout.connect(self.sample_rss)
        window.frame_drawn.connect(self.count_frame)

    def count_frame(self, _seq: int) -> None:
        self.frames += 1

    def sample_rss(self) -> None:
        self.rss_peak = max(self.rss_peak, rss_mb())

    def run(self, preset_name: str, seconds: float) -> dict:
        self.window.apply_preset(preset_name)
        return self.train(seconds)

    def train(self, seconds: float, pauses: int = 1) -> dict:
        """Train the window's network flat out for ``seconds``, then pause it ``pauses`` times (training again for
        0.25 s before each further pause)."""
        window = self.window
        window.panel.max_epochs.setValue(2_000_000_000)
        self.spin(0.3)  # the new network is laid out and drawn
        self.frames, self.rss_peak = 0, rss_mb()
        first = progress(window.drawn_frame().snapshot)
        self.heartbeat.start()
        self.sampler.start()
        start = time.perf_counter()
        window.start_training()
        self.spin(seconds)
        elapsed = time.perf_counter() - start
        self.heartbeat.stop()
        self.sampler.stop()
        self.sample_rss()
        snapshot = window.drawn_frame().snapshot
        last, diverged = progress(snapshot), snapshot.diverged
        stall_p99, stall_max = stall_stats(self.heartbeat.beats)
        waits = [self.pause()]
        for _ in range(pauses - 1):
            window.start_training()
            self.spin(0.25)
            waits.append(self.pause())
        self.spin(0.2)
        return {"fps": self.frames / elapsed, "epochs_per_s": (last - first) / elapsed, "stall_p99": stall_p99,
                "stall_max": stall_max, "rss_peak": self.rss_peak, "diverged": diverged,
                "pause": max(stopped for stopped, _ in waits), "pause_shown": max(shown for _, shown in waits)}

    def pause(self) -> tuple[float, float]:
        """Pause the run under way; ms until the worker published a frame that is not running, and until the
        window drew one. (The controller's run_stopped is not emitted for a pause: the frame is the one sign.)"""
        from PySide6.QtCore import QEventLoop, QTimer

        window, controller = self.window, self.window.controller
        loop = QEventLoop()
        found: dict[str, float] = {}  # "stopped", "shown": ms after start

        def poll() -> None:
            frame = controller.latest_frame()
            if ("stopped" not in found and frame is not None and frame.network == window.network_id
                    and not frame.running and frame.time >= start):
                found["stopped"] = (frame.time - start) * 1000
            drawn = window.drawn_frame()
            if "shown" not in found and drawn is not None and not drawn.running and drawn.time >= start:
                found["shown"] = (time.perf_counter() - start) * 1000
            if len(found) == 2:
                loop.quit()

        poller = QTimer()
        poller.setInterval(1)
        poller.timeout.connect(poll)
        QTimer.singleShot(int(PAUSE_WAIT_S * 1000), loop.quit)
        poller.start()
        start = time.perf_counter()
        window.pause_training()
        loop.exec()
        poller.stop()
        return found.get("stopped", math.inf), found.get("shown", math.inf)  # inf: not within PAUSE_WAIT_S

    def spin(self, seconds: float) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()


def milliseconds(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else f"> {PAUSE_WAIT_S * 1000:.0f}"


def print_live(result: dict, headless: float, indent: str = "   ", ratio_target: bool = True) -> float:
    """Print a live run's measurements; returns live / headless. ``ratio_target``: whether that ratio is one of
    the case's targets (with every view open it is not: the views' threads share the two cores)."""
    ratio = result["epochs_per_s"] / headless if headless else float("nan")
    if result["diverged"] or math.isnan(headless):
        print(f"{indent}THE NETWORK DIVERGED (live: {'yes' if result['diverged'] else 'no'}, headless: "
              f"{'yes' if math.isnan(headless) else 'no'}): the numbers below are of a run that stopped")
    print(f"{indent}plot frames per second       {result['fps']:8.1f}   target >= {TARGET_FPS:g}")
    print(f"{indent}event-loop stall p99 / max   {result['stall_p99']:8.1f} / {result['stall_max']:.1f} ms   "
          f"target p99 < {TARGET_STALL_P99_MS:g} ms")
    print(f"{indent}epochs/s live / headless     {result['epochs_per_s']:10,.2f} / {headless:,.2f} "
          f"= {ratio:.2f}   " + (f"target >= {TARGET_LIVE_RATIO:g}" if ratio_target else "(not a target here)"))
    print(f"{indent}Pause: worker stopped / drawn {milliseconds(result['pause']):>7} / "
          f"{milliseconds(result['pause_shown'])} ms   (resident memory peak {result['rss_peak']:.0f} MB)")
    return ratio


def preset_case(number: int, title: str, preset: str, live: LiveRun, seconds: float, headless_seconds: float,
                results: dict) -> None:
    headless = preset_rate(preset, headless_seconds)
    result = live.run(preset, seconds)
    print(f"\n{number}. {title} ({preset}), {seconds:g} s live")
    ratio = print_live(result, headless)
    results.update({f"{number}.fps": (result["fps"], ""), f"{number}.stall_p99": (result["stall_p99"], ""),
                    f"{number}.ratio": (ratio, "")})


def write_moons_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Two interleaved half-moons with noise: inputs x1, x2 and a 0/1 label, shuffled."""
    import numpy as np

    rng = np.random.default_rng(seed)
    t = rng.uniform(0.0, np.pi, rows)
    upper = rng.random(rows) < 0.5
    X = np.column_stack([np.where(upper, np.cos(t), 1 - np.cos(t)), np.where(upper, np.sin(t), 0.5 - np.sin(t))])
    X += rng.normal(0.0, 0.1, X.shape)
    np.savetxt(path, np.column_stack([X, ~upper]), fmt=["%.5f", "%.5f", "%d"], delimiter=",",
               header="x1,x2,label", comments="")


def open_csv(window, live: LiveRun, path: Path) -> tuple[bool, float, float]:
    """Open a CSV file in the window as File > Open does (read in the background); (taken, seconds, longest
    stall in ms while it was read)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop, taken = QEventLoop(), []

    def finished(ok: bool) -> None:
        taken.append(ok)
        loop.quit()

    window.files.csv_finished.connect(finished)
    QTimer.singleShot(120_000, loop.quit)
    live.heartbeat.start()
    start = time.perf_counter()
    window.files.open_csv(path)
    loop.exec()
    elapsed = time.perf_counter() - start
    live.heartbeat.stop()
    window.files.csv_finished.disconnect(finished)
    return bool(taken and taken[0]), elapsed, stall_stats(live.heartbeat.beats)[1]


def set_mode(window, mode: str) -> None:
    """Choose an update mode in the panel, as the user would (a new network)."""
    combo = window.panel.mode
    combo.setCurrentIndex(combo.findData(mode))


def big_data_case(live: LiveRun, folder: Path, seconds: float, headless_seconds: float, pauses: int,
                  results: dict) -> None:
    """3. 2-256-1 on a 100,000-row CSV, in every update mode."""
    from model.config import MODES

    window = live.window
    path = folder / "moons-100000.csv"
    write_moons_csv(path, BIG_ROWS)
    taken, load_seconds, load_stall = open_csv(window, live, path)
    if not taken:
        raise RuntimeError(f"the window refused {path}: {window.message_bar.label.text()}")
    window.panel.hidden.setValue(BIG_HIDDEN)
    print(f"\n3. 2-{BIG_HIDDEN}-1 on a {BIG_ROWS:,}-row CSV (two moons; read in {load_seconds * 1000:.0f} ms, longest "
          f"stall meanwhile {load_stall:.0f} ms), {seconds:g} s live per mode, {pauses} Pause(s) each")
    worst: dict[str, tuple[float, str]] = {}
    for mode in MODES:
        set_mode(window, mode)
        config = window.config
        headless = headless_rate(config, window.dataset, headless_seconds)
        result = live.train(seconds, pauses)
        print(f"   {mode} ({config.activation}, {window.dataset.task}"
              f"{f', batch {config.batch_size}' if mode == 'minibatch' else ''})")
        result["ratio"] = print_live(result, headless, indent="     ")
        for key, larger_is_worse in (("rss_peak", True), ("fps", False), ("stall_p99", True), ("ratio", False),
                                     ("pause", True)):
            value = result[key]
            if key not in worst or (value > worst[key][0]) == larger_is_worse:
                late = f" (not stopped within {PAUSE_WAIT_S:g} s)" if math.isinf(value) else ""
                worst[key] = (value, f"worst: {mode}{late}")
    for key, name in (("rss_peak", "rss"), ("fps", "fps"), ("stall_p99", "stall_p99"), ("ratio", "ratio"),
                      ("pause", "pause")):
        results[f"3.{name}"] = worst[key]


def big_network_case(live: LiveRun, seconds: float, headless_seconds: float, results: dict) -> None:
    """4. product with 1024 hidden units, flat out; and the boundary image's resolution."""
    window = live.window
    window.apply_dataset("product")
    config = window.config.replace(hidden=HUGE_HIDDEN, lr=HUGE_LR)
    window.new_network(config, window.dataset_key, window.dataset)
    headless = headless_rate(config, window.dataset, headless_seconds)
    result = live.train(seconds)
    shape = window.boundary_plot.image_values().shape
    shape = shape if len(shape) == 2 else (0, 0)  # no image drawn
    print(f"\n4. product 2-{HUGE_HIDDEN}-1 ({config.activation}, {config.mode} of {config.batch_size}, "
          f"lr {config.lr:g}: the dataset's lr diverges at this size), {seconds:g} s live")
    ratio = print_live(result, headless)
    print(f"   boundary image               {shape[1]} x {shape[0]} pixels   "
          f"target >= {TARGET_IMAGE_SIDE} x {TARGET_IMAGE_SIDE}")
    results.update({"4.fps": (result["fps"], ""), "4.stall_p99": (result["stall_p99"], ""),
                    "4.ratio": (ratio, ""), "4.image": (min(shape), f"{shape[1]} x {shape[0]}")})


def show_every_view(window) -> None:
    """The tabs that hide views show the network diagram and the hidden space (the loss and weights show always)."""
    window.network_tabs.setCurrentWidget(window.network_diagram)
    window.plane_tabs.setCurrentWidget(window.hidden_space)
    window.detail_tabs.setCurrentWidget(window.weights_plot)


def scrub_times(live: LiveRun, moves: int = 20) -> tuple[list[float], list[float]]:
    """Paused: ms from choosing a recorded epoch on the history bar to the window showing that epoch's weights
    (the diagram, the hidden space and the cursors drawn), and to the images computed in their threads (the
    boundary's surface and the neuron maps) showing them too."""
    from PySide6.QtCore import QEventLoop, QTimer

    window, bar = live.window, live.window.history_bar
    live.spin(0.3)  # the pause's last frame drawn (and the recorded weights it asks for sent)
    epochs = bar.recorded_epochs()
    times, images = [], []
    for k in range(moves):
        epoch = int(epochs[(k * 7919) % (len(epochs) - 1)])  # scattered over the run
        if epoch == bar.chosen_epoch():
            continue
        loop = QEventLoop()
        window.run_past.past_shown.connect(loop.quit)
        QTimer.singleShot(2000, loop.quit)
        start = time.perf_counter()
        bar.choose_epoch(epoch)
        if not shows_epoch(window, epoch):  # asked of the worker: wait for its answer
            loop.exec()
        window.run_past.past_shown.disconnect(loop.quit)
        times.append((time.perf_counter() - start) * 1000 if shows_epoch(window, epoch) else math.inf)
        images.append(images_drawn_ms(live, start))
        window.boundary_plot.wait_for_surface(2.0)  # a preview's whole grid: not timed
    bar.go_live()
    return times, images


def images_drawn_ms(live: LiveRun, start: float, timeout: float = 2.0) -> float:
    """ms from ``start`` until the boundary's image (a big network's preview counts) and the neuron maps show the
    latest weights."""
    boundary, diagram = live.window.boundary_plot, live.window.network_diagram
    while boundary.image_pending() or diagram.maps_pending():
        if time.perf_counter() - start > timeout:
            return math.inf
        live.app.processEvents()
        time.sleep(0.0002)
    return (time.perf_counter() - start) * 1000


def shows_epoch(window, epoch: int) -> bool:
    shown = window.shown_past()
    return shown is not None and shown.epoch == epoch


def every_view_case(live: LiveRun, seconds: float, headless_seconds: float, results: dict) -> None:
    """8. every view open while training flat out, and scrubbing through the run when paused."""
    window = live.window
    worst = {"fps": math.inf, "stall_p99": 0.0, "scrub": 0.0}
    print(f"\n8. every view open (diagram and maps, hidden space, loss, weights), {seconds:g} s live each")
    for title, dataset, hidden, mode in EVERY_VIEW_CASES:
        window.apply_dataset(dataset)
        config = window.config.replace(hidden=hidden, mode=mode or window.config.mode)
        if hidden == HUGE_HIDDEN:  # the dataset's lr diverges at this size
            config = config.replace(lr=HUGE_LR)
        window.new_network(config, window.dataset_key, window.dataset)
        show_every_view(window)
        headless = headless_rate(config, window.dataset, headless_seconds)
        result = live.train(seconds)
        print(f"   {title}")
        print_live(result, headless, indent="      ", ratio_target=False)
        times, images = scrub_times(live)
        print(f"      scrub, slider to views drawn: median {statistics.median(times):.1f} ms, worst "
              f"{max(times):.1f} ms over {len(times)} moves   target <= {TARGET_SCRUB_MS:g} ms")
        print(f"      scrub, slider to the boundary's and maps' images (big networks: the boundary's preview): "
              f"median {statistics.median(images):.1f} ms, worst {max(images):.1f} ms")
        worst["fps"] = min(worst["fps"], result["fps"])
        worst["stall_p99"] = max(worst["stall_p99"], result["stall_p99"])
        worst["scrub"] = max(worst["scrub"], max(times))
    window.plane_tabs.setCurrentWidget(window.boundary_plot)
    results.update({f"8.{key}": (value, "") for key, value in worst.items()})


def memory_run(app, window, epochs: int, live: LiveRun) -> tuple[float, list[tuple[int, float]]]:
    """Resident memory before, and while training XOR (full batch) to ``epochs`` with the window live."""
    from PySide6.QtCore import QEventLoop, QTimer

    window.apply_dataset("xor")
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


# --- 6: start-up while training, in a child process ------------------------------------------------------------
class StartupProbe:
    """In the child: a heartbeat from the event loop's first turn, and when the window's frames first show the
    compiled kernel in use. It finds the window the app made among the top-level widgets."""

    def __init__(self, app, launched: float):
        from PySide6.QtCore import QTimer

        self.app, self.launched = app, launched
        self.offset = time.time() - time.perf_counter()  # perf_counter -> time.time()
        self.heartbeat = Heartbeat()
        self.heartbeat.timer.timeout.connect(self.look)
        self.window = None
        self.loop_started = self.first_frame = self.compiled_at = None
        self.epochs = 0.0
        QTimer.singleShot(0, self.started)  # queued before run_app's, so it runs just before Train is pressed
        app.aboutToQuit.connect(self.heartbeat.stop)

    def started(self) -> None:
        self.loop_started = time.perf_counter()
        self.heartbeat.start()

    def look(self) -> None:
        if self.window is None:
            self.window = next((w for w in self.app.topLevelWidgets() if type(w).__name__ == "MainWindow"), None)
            if self.window is None:
                return
        frame = self.window.drawn_frame()
        if frame is None:
            return
        now = time.perf_counter()
        if self.first_frame is None:
            self.first_frame = now
        if frame.compiled and frame.running and self.compiled_at is None:
            self.compiled_at = now
        self.epochs = progress(frame.snapshot)

    def report(self, code: int) -> dict:
        beats = self.heartbeat.beats
        stall_p99, stall_max = stall_stats(beats)
        late = sorted(((max(0.0, (b - a) * 1000 - HEARTBEAT_MS), a - self.loop_started)
                       for a, b in pairwise(beats)), reverse=True)[:5]

        def since(moment: float | None) -> float | None:  # seconds after Train was pressed
            return None if moment is None else moment - self.loop_started

        return {"code": code, "shown": self.loop_started + self.offset - self.launched, "beats": len(beats),
                "stall_p99": stall_p99, "stall_max": stall_max, "worst": [(round(ms), round(at, 2)) for ms, at in late],
                "first_frame": since(self.first_frame), "compiled": since(self.compiled_at), "epochs": self.epochs}


def startup_child(seconds: float, launched: float) -> int:
    """Run the app as `main.py --train --epochs 2000000000 --quit-after SECONDS` would (XOR's 2000 epochs are over
    in a moment), watched by a StartupProbe; print its report."""
    from PySide6.QtWidgets import QApplication

    from gui.app import PROGRAM, run_app  # nothing here imports NumPy first: run_app sets up the process itself

    app = QApplication([PROGRAM])
    probe = StartupProbe(app, launched)
    code = run_app(["--train", "--epochs", str(2_000_000_000), "--quit-after", f"{seconds:g}"])
    print(json.dumps(probe.report(code)), flush=True)
    return 0


def startup_training(seconds: float, cache_dir: str | None = None) -> dict:
    """Launch a start-up child (with NUMBA_CACHE_DIR=cache_dir when given) and return its report. The child runs
    in its own process group, which is ended afterwards: the app may have started a compiling child of its own."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    launched = time.time()
    child = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--startup-child", f"{seconds:g}",
                              repr(launched)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             cwd=ROOT, start_new_session=True)
    try:
        out, err = child.communicate(timeout=seconds + 120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    lines = out.strip().splitlines()
    if child.returncode != 0 or not lines:
        raise RuntimeError(f"the start-up child failed ({child.returncode}): {err.strip()[-800:]}")
    return json.loads(lines[-1])


def print_startup_training(label: str, report: dict, cached: bool) -> None:
    compiled = report["compiled"]
    compiled_text = "never" if compiled is None else f"{compiled:.2f} s"
    print(f"   {label}: window shown {report['shown']:.2f} s after launch, Train pressed then; "
          f"{report['epochs']:,.0f} epochs trained")
    print(f"     longest stall {report['stall_max']:6.0f} ms (p99 {report['stall_p99']:.0f} ms)   "
          f"target <= {TARGET_STARTUP_STALL_MS:g} ms; worst (ms, at s after Train): "
          f"{', '.join(f'{ms} at {at:.2f}' for ms, at in report['worst'])}")
    requirement = f"target <= {TARGET_COMPILED_S:g} s" if cached else "(no target: numba compiles first)"
    print(f"     compiled kernel in the frames drawn after Train: {compiled_text}   {requirement}")


def startup_training_case(seconds: float, quick: bool, results: dict) -> None:
    """6. launch through the first seconds of training, with numba's cache present and absent."""
    from model import kernel

    print(f"\n6. start-up while training: `main.py --train --epochs 2000000000` (XOR), {seconds:g} s from the shown "
          "window")
    present = startup_training(seconds)
    print_startup_training(f"numba cache present ({'yes' if kernel.cache_exists() else 'NO'})", present, True)
    results["6.present.stall"] = (present["stall_max"], "")
    compiled = present["compiled"]
    results["6.present.compiled"] = (math.inf if compiled is None else compiled, "")
    if quick:
        print("   numba cache absent: not measured with --quick")
        return
    with tempfile.TemporaryDirectory(prefix="bench-numba-") as empty:
        absent = startup_training(seconds, cache_dir=empty)
    print_startup_training("numba cache absent (NUMBA_CACHE_DIR an empty folder)", absent, False)
    results["6.absent.stall"] = (absent["stall_max"], "")


# --- the table -----------------------------------------------------------------------------------------------
def print_targets(results: dict) -> int:
    """Print every target with PASS, FAIL or SKIP; returns how many were missed."""
    print("\nTargets:")
    missed = 0
    for target in TARGETS:
        if target.key not in results:
            verdict, measured = "SKIP", "(not measured)"
        else:
            value, note = results[target.key]
            ok = target.met(value)
            missed += not ok
            verdict = "PASS" if ok else "FAIL"
            shown = f"{value:,.2f}{target.unit}" if math.isfinite(value) else "never"
            measured = f"measured {shown}" + (f" ({note})" if note else "")
        print(f"  {verdict}  {target.case}. {target.what:<44} {target.requirement():<11} {measured}")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (for the test suite)")
    parser.add_argument("--seconds", type=float, help="seconds of each live run (default 10, quick 1.5)")
    parser.add_argument("--startup-child", nargs=2, type=float, metavar=("SECONDS", "LAUNCHED"),
                        help=argparse.SUPPRESS)  # case 6's child process
    args = parser.parse_args(argv)
    if args.startup_child:
        return startup_child(*args.startup_child)
    from gui.app import one_blas_thread

    one_blas_thread()  # BLAS set up as the app's process has it (before NumPy is imported), headless runs alike
    quick = args.quick
    live_seconds, headless_seconds = (1.5, 0.5) if quick else (10.0, 3.0)
    live_seconds = args.seconds or live_seconds
    big_seconds, big_pauses = (1.0, 1) if quick else (4.0, 3)
    startup_runs, memory_epochs = (1, 20_000) if quick else (5, 1_000_000)
    training_seconds = 3.0 if quick else 20.0
    results: dict[str, tuple[float, str]] = {}

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
    print(f"Perceptron Playground window benchmark ({'quick' if quick else 'full'}; Qt platform "
          f"{app.platformName()}; compiled kernel {'ready' if compiled else 'unavailable'}; {os.cpu_count()} cores; "
          f"stall = heartbeat gap - {HEARTBEAT_MS} ms)")
    try:
        for number, (title, preset) in enumerate(WORKLOADS, start=1):
            preset_case(number, title, preset, live, live_seconds, headless_seconds, results)
        before, samples = memory_run(app, window, memory_epochs, live)  # case 7, printed below
        with tempfile.TemporaryDirectory(prefix="bench-gui-") as folder:
            big_data_case(live, Path(folder), big_seconds, headless_seconds, big_pauses, results)
        big_network_case(live, 1.5 if quick else 5.0, headless_seconds, results)
        every_view_case(live, 1.0 if quick else 4.0, headless_seconds, results)
    finally:
        close_window(app, window)
    median = statistics.median(startup)
    results["5.startup"] = (median, "")
    print(f"\n5. start-up: process start to first shown window, median of {len(startup)}: {median:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in startup)})   target <= {TARGET_STARTUP_S:g} s")
    startup_training_case(training_seconds, quick, results)
    peak = max(mb for _, mb in samples)
    final_epoch, final = samples[-1]
    results["7.peak"], results["7.growth"] = (peak, ""), (final - before, "")
    trail = ", ".join(f"{mb:.0f} MB at {epoch:,}" for epoch, mb in samples[:: max(1, len(samples) // 6)])
    print(f"\n7. resident memory: {before:.0f} MB with the window shown, {final:.0f} MB after {final_epoch:,} epochs "
          f"(peak {peak:.0f} MB; {trail})   target < {TARGET_MEMORY_MB:g} MB and flat (< {TARGET_GROWTH_MB:g} MB "
          "growth)")
    missed = print_targets(results)
    print(f"\n{missed} target(s) missed" if missed else "\nall targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
