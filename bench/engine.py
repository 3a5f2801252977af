"""Training-engine benchmark: epochs/s and microseconds per update on six workloads, and peak memory.

Each workload is timed with our engine (``Trainer.run``, taking the path its own rule picks, and, where that is
the compiled loop, once more with ``uses_compiled = False``: the NumPy-only path), with the seed notebooks'
textbook NumPy loop (bench/textbook.py), with PyTorch on the CPU when it is installed and, for the XOR workload,
with a minimal compiled loop (the least work a per-sample update can be: the floor ours is measured against).
All implementations start from the same initial weights and are first checked to compute the same updates, so
the ratios compare like with like. The ratios are measured in this one run and checked against the targets; a
missed target is reported, not raised (the exit status stays 0).

Peak memory of a full-batch epoch on 10^6 rows x 1024 hidden units is measured in a child process
(``--memory-child ROWS``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss``), started before this process has grown:
on Linux a child's ru_maxrss starts at its parent's peak.

A last part shows why the engine reuses its buffers: allocating fresh large arrays every step makes
glibc hand them back to the OS and page-fault them in again.

    .venv/bin/python bench/engine.py            # one to two minutes
    .venv/bin/python bench/engine.py --quick    # 10-20 s: ~0.2 s per measurement, 10^5 memory rows (smoke test)

Also runs as ``python -m bench.engine`` from the repository root. Writes no files.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a plain checkout: only bench/ is on sys.path
    sys.path.insert(0, str(ROOT))

from bench import textbook  # noqa: E402
from model import kernel  # noqa: E402
from model.config import TrainConfig  # noqa: E402
from model.datasets import Dataset, load_dataset, make_dataset  # noqa: E402
from model.network import (  # noqa: E402
    NetworkSpec,
    Params,
    Workspace,
    apply_update,
    backward,
    forward,
    init_params,
    loss_value,
)
from model.presets import PRESETS  # noqa: E402
from model.trainer import Trainer  # noqa: E402

TORCH_HINT = "torch not installed: pip install torch==2.13.0"
NUMBA_HINT = "numba not installed"
LOSS_SCALE = {"squared": 2.0, "half_squared": 1.0}  # dL/dp divided by (p - y)
REPEATS = 3  # each measurement is the best of (up to) this many timed runs, to shrug off scheduler noise
AGREE_TOLERANCE = 1e-8  # max |theta difference| after a few epochs for two implementations to count as equal


# --- workloads -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    number: int
    title: str
    config: TrainConfig
    dataset: Dataset
    check_epochs: int  # epochs run by every implementation to check they agree

    @property
    def per_sample(self) -> bool:
        return self.config.mode in ("sample", "random_sample")

    @property
    def updates_per_epoch(self) -> int:
        return len(self.dataset.X) if self.per_sample else 1


def uniform_product(n: int, seed: int = 0) -> Dataset:
    """n points uniform in [0, 1)^2 with y = 10 x1 x2 (no noise, no test split)."""
    X = np.random.RandomState(seed).random_sample((n, 2))
    return make_dataset(f"uniform_{n}", X, 10.0 * X[:, 0] * X[:, 1])


def workloads() -> list[Workload]:
    xor, product = load_dataset("xor"), load_dataset("product")
    xor_config = PRESETS["notebook_001"].config
    product_config = PRESETS["notebook_003"].config
    big_config = TrainConfig(hidden=64, activation="tanh", output="linear", loss="squared", lr=0.01, mode="full",
                             init="xavier")
    wide_config = product_config.replace(mode="sample", hidden=1024, activation="tanh", init="xavier", lr=0.0001)
    return [
        Workload(1, "XOR 2-4-1 sample (notebook_001)", xor_config, xor, 5),
        Workload(2, "XOR 2-4-1 full", xor_config.replace(mode="full"), xor, 5),
        Workload(3, "product 2-5-1 full (notebook_003)", product_config, product, 5),
        Workload(4, "product 2-5-1 sample, lr 0.001", product_config.replace(mode="sample", lr=0.001), product, 2),
        Workload(5, "100,000 points 2-64-1 tanh full", big_config, uniform_product(100_000), 1),
        Workload(6, "product 2-1024-1 tanh sample, lr 0.0001", wide_config, product, 1),
    ]


# --- implementations: each trains one network from the workload's initial weights ------------------------
class Ours:
    """Our engine through its public entry point, Trainer.run, on the path its own rule picks (or, numpy_only,
    on the NumPy path, as it trains before numba has compiled)."""

    def __init__(self, workload: Workload, numpy_only: bool = False):
        self.trainer = Trainer(workload.config, workload.dataset)
        if numpy_only:
            self.trainer.uses_compiled = False

    @property
    def path(self) -> str:
        return path_of(self.trainer)

    def run(self, epochs: int) -> None:
        result = self.trainer.run(epochs)
        if result.stopped_by != "epochs":  # a diverged run would be timed on fewer updates than counted
            raise RuntimeError(f"training stopped early ({result.stopped_by}); the timing would be wrong")

    def theta(self) -> np.ndarray:
        return self.trainer.params.theta.copy()


def path_of(trainer: Trainer) -> str:
    """The path trainer.run takes: the compiled loop when the trainer's rule picks it and it is ready."""
    return "compiled loop" if trainer.on_compiled_path else "NumPy"


def _minimal_xor_epochs(X, y, W1, W2, lr, epochs):
    """Per-sample epochs of a bias-free relu network with a linear output and delta = p - y (notebook_001),
    samples in order, W1 (d, h) and W2 (h, 1) updated in place: the forward pass, the delta and the update of
    each hidden unit fused into two loops, nothing kept."""
    n, d = X.shape
    h = W1.shape[1]
    a = np.empty(h)
    for _ in range(epochs):
        for i in range(n):
            p = 0.0
            for j in range(h):
                z = 0.0
                for q in range(d):
                    z += X[i, q] * W1[q, j]
                a[j] = z if z > 0.0 else 0.0
                p += a[j] * W2[j, 0]
            delta = p - y[i, 0]
            for j in range(h):
                if a[j] > 0.0:  # relu'(z) = 0 elsewhere: W1's column does not move
                    g = delta * W2[j, 0]
                    for q in range(d):
                        W1[q, j] -= lr * (X[i, q] * g)
                W2[j, 0] -= lr * (a[j] * delta)


_minimal_jitted = None


def minimal_loop():
    """_minimal_xor_epochs compiled by numba (not cached on disk), or None without numba."""
    global _minimal_jitted
    if _minimal_jitted is None:
        try:
            import numba
        except ImportError:
            return None
        _minimal_jitted = numba.njit(_minimal_xor_epochs)
    return _minimal_jitted


class Minimal:
    """The floor for the XOR workload: ``_minimal_xor_epochs`` compiled, one call per run."""

    def __init__(self, workload: Workload):
        cfg = workload.config
        assert (cfg.activation, cfg.output, cfg.loss, cfg.bias, cfg.mode) == (
            "relu", "linear", "half_squared", False, "sample"), "the minimal loop trains notebook_001's network only"
        start = init_params(cfg, workload.dataset.n_inputs)
        self.W1, self.W2 = start.W1.copy(), start.W2.copy()
        self.X, self.y, self.lr = workload.dataset.X, workload.dataset.y, cfg.lr
        self.loop = minimal_loop()
        self.loop(self.X, self.y, self.W1, self.W2, self.lr, 0)  # compile now, for these types, not while timed

    def run(self, epochs: int) -> None:
        self.loop(self.X, self.y, self.W1, self.W2, self.lr, epochs)

    def theta(self) -> np.ndarray:
        return Params.from_arrays(self.W1, None, self.W2, None).theta


class Textbook:
    """The notebooks' allocate-every-step NumPy loop."""

    def __init__(self, workload: Workload):
        cfg = workload.config
        start = init_params(cfg, workload.dataset.n_inputs)
        self.weights = textbook.copy_weights(start.W1, start.b1, start.W2, start.b2, cfg.bias)
        self.X, self.y = workload.dataset.X, workload.dataset.y
        self.epoch = textbook.sample_epoch if workload.per_sample else textbook.full_epoch
        self.args = (cfg.lr, cfg.activation, LOSS_SCALE[cfg.loss])

    def run(self, epochs: int) -> None:
        for _ in range(epochs):
            self.epoch(self.X, self.y, self.weights, *self.args)

    def theta(self) -> np.ndarray:
        w = self.weights
        return Params.from_arrays(w["W1"], w.get("b1"), w["W2"], w.get("b2")).theta


class Torch:
    """PyTorch on the CPU, float64, a plain manual loop with autograd (faster here than nn.Linear +
    optim.SGD); one update per sample in the per-sample modes."""

    def __init__(self, workload: Workload):
        import torch

        self.torch = torch
        cfg = workload.config
        start = init_params(cfg, workload.dataset.n_inputs)
        arrays = [start.W1, start.b1, start.W2, start.b2] if cfg.bias else [start.W1, start.W2]
        self.params = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        self.bias = cfg.bias
        self.activation = {"relu": torch.relu, "tanh": torch.tanh}[cfg.activation]
        self.half = LOSS_SCALE[cfg.loss] == 1.0
        self.lr = cfg.lr
        X = torch.tensor(workload.dataset.X, dtype=torch.float64)
        y = torch.tensor(workload.dataset.y, dtype=torch.float64)
        # Row views made once, so the timed loop measures training rather than indexing.
        self.batches = list(zip(X.split(1), y.split(1), strict=True)) if workload.per_sample else [(X, y)]

    def step(self, x, t) -> None:
        if self.bias:
            W1, b1, W2, b2 = self.params
            out = self.activation(x @ W1 + b1) @ W2 + b2
        else:
            W1, W2 = self.params
            out = self.activation(x @ W1) @ W2
        loss = ((out - t) ** 2).mean()
        if self.half:
            loss = 0.5 * loss
        loss.backward()
        with self.torch.no_grad():
            for p in self.params:
                p.sub_(p.grad, alpha=self.lr)
                p.grad = None

    def run(self, epochs: int) -> None:
        for _ in range(epochs):
            for x, t in self.batches:
                self.step(x, t)

    def theta(self) -> np.ndarray:
        arrays = [p.detach().numpy() for p in self.params]
        W1, b1, W2, b2 = arrays if self.bias else (arrays[0], None, arrays[1], None)
        return Params.from_arrays(W1, b1, W2, b2).theta


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return f"{torch.__version__}, {torch.get_num_threads()} threads"


# --- timing ----------------------------------------------------------------------------------------------
def timed(run: Callable[[int], None], count: int) -> float:
    gc.disable()  # as timeit does: a collection landing in one run would skew it
    try:
        start = time.perf_counter()
        run(count)
        return time.perf_counter() - start
    finally:
        gc.enable()


def rate(run: Callable[[int], None], seconds: float) -> float:
    """Calls of run's unit (epochs, forward passes) per second, measured over about ``seconds``.

    A short warm-up run, grown until it is long enough to time, estimates the count that fills the
    time box; the count is then timed REPEATS times and the fastest run is kept. A unit longer than a third
    of the time box is timed fewer times (at least once), so the box holds.
    """
    count, elapsed = 1, timed(run, 1)
    calibration = seconds / 20
    while elapsed < calibration:
        grow = calibration / max(elapsed, 1e-7)
        count = int(count * min(100.0, max(2.0, grow)))
        elapsed = timed(run, count)
    estimate = count / elapsed
    count = max(1, round(estimate * seconds / REPEATS))
    repeats = max(1, min(REPEATS, round(estimate * seconds / count)))
    best = min(timed(run, count) for _ in range(repeats))
    return count / best


# --- part 1: the workloads --------------------------------------------------------------------------------
@dataclass
class Row:
    label: str
    epochs_per_s: float
    difference: float | None  # max |theta - ours| after the check epochs; None for ours itself


MINIMAL = "minimal compiled loop"
MINIMAL_WORKLOADS = (1,)  # the workloads _minimal_xor_epochs trains


def implementations(workload: Workload, ours_path: str, have_torch: bool) -> list[tuple[str, Callable]]:
    """(label, factory) pairs; the first is "ours" as the app runs it, the reference for the ratios."""
    found = [("ours", lambda: Ours(workload))]
    if ours_path != "NumPy":  # else "ours" is the NumPy path already
        found.append(("ours (NumPy only)", lambda: Ours(workload, numpy_only=True)))
    if workload.number in MINIMAL_WORKLOADS and minimal_loop() is not None:
        found.append((MINIMAL, lambda: Minimal(workload)))
    found.append(("textbook NumPy", lambda: Textbook(workload)))
    if have_torch:
        found.append(("PyTorch CPU", lambda: Torch(workload)))
    return found


def measure_workload(workload: Workload, have_torch: bool, seconds: float) -> tuple[str, list[Row]]:
    """Check each implementation against ours on a few epochs, then time a fresh instance of it. Returns the
    path ours took and the rows."""
    ours_path = Ours(workload).path
    rows, reference = [], None
    for label, make in implementations(workload, ours_path, have_torch):
        checker = make()
        checker.run(workload.check_epochs)
        theta = checker.theta()
        if reference is None:  # the first implementation is ours
            reference, difference = theta, None
        else:
            difference = float(np.max(np.abs(theta - reference)))
        rows.append(Row(label, rate(make().run, seconds), difference))
    return ours_path, rows


def print_workload(workload: Workload, ours_path: str, rows: list[Row]) -> None:
    per_epoch = workload.updates_per_epoch
    ours = rows[0].epochs_per_s
    print(f"\n{workload.number}. {workload.title}: mode {workload.config.mode}, {len(workload.dataset.X):,} samples, "
          f"{per_epoch:,} update{'s' if per_epoch > 1 else ''}/epoch; ours on the {ours_path} path")
    epochs = f"{workload.check_epochs} epoch{'s' if workload.check_epochs > 1 else ''}"
    print(f"   {'implementation':<22}{'epochs/s':>14}{'us/update':>12}{'ours/it':>10}   "
          f"max|dtheta| vs ours after {epochs}")
    for row in rows:
        us = 1e6 / (row.epochs_per_s * per_epoch)
        speedup = "-" if row.difference is None else f"{ours / row.epochs_per_s:.1f}x"
        if row.difference is None:
            agree = "-"
        else:
            agree = f"{row.difference:.1e}" + ("" if row.difference <= AGREE_TOLERANCE else "  DIFFERENT RESULT")
        print(f"   {row.label:<22}{number(row.epochs_per_s):>14}{number(us):>12}{speedup:>10}   {agree}")


def number(x: float) -> str:
    """Three significant figures, thousands separated."""
    if x >= 100:
        return f"{round(x):,}"
    return f"{x:.3g}" if x >= 0.01 else f"{x:.2e}"


# --- memory: a full-batch epoch on 10^6 rows x 1024 hidden units, in a child process ------------------------
MEMORY = 0  # the "workload number" of the memory target
MEMORY_ROWS, QUICK_MEMORY_ROWS = 1_000_000, 100_000
MEMORY_CONFIG = TrainConfig(hidden=1024, activation="tanh", mode="full", init="xavier", lr=0.01)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def memory_child(rows: int) -> None:
    """Run in the child process: one full-batch epoch of MEMORY_CONFIG on ``rows`` rows; print a JSON line."""
    start_mb = peak_rss_mb()
    trainer = Trainer(MEMORY_CONFIG, uniform_product(rows))
    trainer.prepare_compiled()  # as the app would run it
    path = path_of(trainer)
    begun = time.perf_counter()
    result = trainer.run(1)
    print(json.dumps({"rows": rows, "start_mb": start_mb, "peak_mb": peak_rss_mb(), "path": path,
                      "seconds": time.perf_counter() - begun, "stopped_by": result.stopped_by}))


@dataclass(frozen=True)
class Memory:
    rows: int
    peak_mb: float
    start_mb: float = float("nan")  # after the imports, before the data
    path: str = ""
    seconds: float = float("nan")
    stopped_by: str = ""
    error: str = ""

    @property
    def scale(self) -> float:
        """The bound's scale: targets are set for MEMORY_ROWS rows."""
        return self.rows / MEMORY_ROWS


def measure_memory(rows: int) -> Memory:
    """Run memory_child in a fresh process. Call it while this process is small: on Linux a child's ru_maxrss
    starts at its parent's peak (the kernel carries it across exec)."""
    child = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--memory-child", str(rows)],
                           capture_output=True, text=True, cwd=ROOT, check=False)
    if child.returncode != 0:
        lines = child.stderr.strip().splitlines() or [f"exit status {child.returncode}"]
        return Memory(rows, float("nan"), error=lines[-1])
    return Memory(**json.loads(child.stdout.strip().splitlines()[-1]))


def print_memory(memory: Memory) -> None:
    quick = " (quick variant: the target's bound scales with the rows)" if memory.rows != MEMORY_ROWS else ""
    print(f"\nMemory: one full-batch epoch on {memory.rows:,} rows x 2 inputs, 2-{MEMORY_CONFIG.hidden}-1 "
          f"{MEMORY_CONFIG.activation}, Trainer.run(1) in a child process{quick}:")
    if memory.error:
        print(f"   the child failed: {memory.error}")
        return
    stopped = "" if memory.stopped_by == "epochs" else f", STOPPED EARLY ({memory.stopped_by})"
    print(f"   peak RSS {memory.peak_mb:,.0f} MB ({memory.start_mb:,.0f} MB after the imports, before the data); "
          f"the epoch took {memory.seconds:.1f} s on the {memory.path} path{stopped}")


# --- targets ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    workload: int  # a workload's number, or MEMORY
    versus: str  # a row label: ours / its epochs/s must reach at_least (what the memory target measures)
    at_least: float | None = None
    at_most: float | None = None  # MB of peak RSS at MEMORY_ROWS rows (scaled to the rows measured)


TARGETS = (
    Target(1, "PyTorch CPU", 10.0),
    Target(1, "textbook NumPy", 2.0),
    Target(1, "textbook NumPy", 100.0),
    Target(1, MINIMAL, 0.25),
    Target(3, "textbook NumPy", 1.5),
    Target(4, "PyTorch CPU", 10.0),
    Target(4, "textbook NumPy", 2.0),
    Target(5, "PyTorch CPU", 1.0),
    Target(5, "textbook NumPy", 1.5),
    Target(6, "textbook NumPy", 1.5),
    Target(MEMORY, "peak RSS", at_most=2048.0),
)
MISSING = {"PyTorch CPU": TORCH_HINT, MINIMAL: NUMBA_HINT}  # why a row can be absent


def print_targets(results: dict[int, list[Row]], titles: dict[int, str], memory: Memory) -> None:
    print("\nTargets (speed: ratios of epochs/s measured above, ours / other; memory: the child's peak RSS):")
    for target in TARGETS:
        if target.at_most is not None:
            bound = target.at_most * memory.scale
            label, title = "M", f"full batch, {memory.rows:,} rows x {MEMORY_CONFIG.hidden} hidden"
            quick = " (quick variant)" if memory.rows != MEMORY_ROWS else ""
            requirement = f"{target.versus} < {bound:,.0f} MB{quick}"
            if memory.error:
                verdict, measured = "FAIL", f"(the child failed: {memory.error})"
            else:
                verdict, measured = "PASS" if memory.peak_mb < bound else "FAIL", f"measured {memory.peak_mb:,.0f} MB"
        else:
            rows = results[target.workload]
            other = next((row for row in rows if row.label == target.versus), None)
            label, title = target.workload, titles[target.workload]
            requirement = f"ours >= {target.at_least:g}x {target.versus}"
            if other is None:
                verdict, measured = "SKIP", f"({MISSING.get(target.versus, 'not measured')})"
            else:
                ratio = rows[0].epochs_per_s / other.epochs_per_s
                verdict, measured = "PASS" if ratio >= target.at_least else "FAIL", f"measured {ratio:.2f}x"
        print(f"  {verdict}  {label}. {title:<40} {requirement:<38} {measured}")


# --- part 2: buffer reuse --------------------------------------------------------------------------------
class PhaseStep:
    """One full-batch update through model.network's phases, with the engine's reused Workspace or with
    a fresh one every step (what code that allocates its temporaries per step amounts to)."""

    def __init__(self, workload: Workload, fresh: bool):
        cfg, data = workload.config, workload.dataset
        self.params = init_params(cfg, data.n_inputs)
        self.grad = Params(data.n_inputs, cfg.hidden)
        self.spec = NetworkSpec.from_config(cfg)
        self.X, self.y, self.lr, self.fresh = data.X, data.y, cfg.lr, fresh
        self.shape = (len(data.X), data.n_inputs, cfg.hidden)
        self.ws = Workspace(*self.shape)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            ws = Workspace(*self.shape) if self.fresh else self.ws
            forward(self.params, self.X, ws, self.spec)
            loss_value(ws, self.y, self.spec)
            backward(self.params, self.X, self.y, ws, self.spec, self.grad)
            apply_update(self.params, self.grad, self.lr, ws)


REUSED = "forward, reused Workspace"
BUFFER_WORKLOAD = 5  # the large full-batch workload the buffer-reuse part compares against


def grid_points(side: int = 100) -> np.ndarray:
    """The side x side grid over [0, 1]^2 that a decision-boundary plot evaluates."""
    axis = np.linspace(0.0, 1.0, side)
    return np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2).copy()


def grid_forwards(config: TrainConfig, grid: np.ndarray) -> dict[str, Callable[[int], None]]:
    params, spec = init_params(config, 2), NetworkSpec.from_config(config)
    ws = Workspace(len(grid), 2, config.hidden)
    weights = textbook.copy_weights(params.W1, params.b1, params.W2, params.b2, config.bias)

    def reused(calls):
        for _ in range(calls):
            forward(params, grid, ws, spec)

    def fresh(calls):
        for _ in range(calls):
            forward(params, grid, Workspace(len(grid), 2, config.hidden), spec)

    def plain(calls):
        for _ in range(calls):
            textbook.grid_forward(grid, weights, config.activation)

    return {REUSED: reused, "forward, fresh Workspace": fresh, "plain NumPy expressions": plain}


def print_buffer_reuse(big: Workload, big_rows: list[Row], seconds: float) -> None:
    print("\nBuffer reuse: fresh large arrays every step are returned to the OS by glibc and page-faulted in again.")
    ms = {row.label: 1e3 / row.epochs_per_s for row in big_rows}
    engine, book = ms["ours"], ms["textbook NumPy"]
    print(f"  {len(big.dataset.X):,}-sample full-batch epoch, 2-{big.config.hidden}-1 {big.config.activation} "
          f"(from workload {big.number}):")
    print(f"    {'engine, reused Workspace buffers':<44}{engine:9.1f} ms")
    print(f"    {'textbook, allocates every step':<44}{book:9.1f} ms   {slower(book, engine)}")
    reused = 1e3 / rate(PhaseStep(big, fresh=False).run, seconds)
    fresh = 1e3 / rate(PhaseStep(big, fresh=True).run, seconds)
    print("    the engine's own phases (forward, loss, backward, update), same arithmetic:")
    print(f"    {'  reused Workspace':<44}{reused:9.1f} ms")
    print(f"    {'  fresh Workspace every step':<44}{fresh:9.1f} ms   {slower(fresh, reused)}")
    grid = grid_points()
    for config in (big.config, PRESETS["notebook_001"].config):
        d, h = 2, config.hidden
        print(f"  100x100 grid forward pass, {d}-{h}-1 {config.activation}:")
        timings = {label: 1e3 / rate(run, seconds) for label, run in grid_forwards(config, grid).items()}
        base = timings[REUSED]
        for label, value in timings.items():
            note = "" if label == REUSED else f"   {slower(value, base)}"
            print(f"    {label:<44}{value:9.3f} ms{note}")


def slower(time_ms: float, reused_ms: float) -> str:
    return f"= {time_ms / reused_ms:.2f}x the reused-buffer time"


# --- main ------------------------------------------------------------------------------------------------
def print_header(seconds: float, compiled: bool, torch_info: str | None) -> None:
    print("Engine benchmark: epochs/s and microseconds per update (best of up to "
          f"{REPEATS} runs, ~{seconds:g} s per measurement)")
    print(f"  python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    print(f"  compiled update loop: {'yes (numba)' if compiled else 'no: ' + str(kernel.unavailable_reason())}")
    print(f"  PyTorch CPU: {torch_info or TORCH_HINT}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"~0.2 s per measurement, {QUICK_MEMORY_ROWS:,} rows for the memory (a smoke test)")
    parser.add_argument("--memory-child", type=int, metavar="ROWS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    seconds = 0.2 if args.quick else 1.5
    started = time.perf_counter()
    memory = measure_memory(QUICK_MEMORY_ROWS if args.quick else MEMORY_ROWS)  # first, while this process is small
    compiled = kernel.warm_up()
    torch_info = torch_version()
    print_header(seconds, compiled, torch_info)
    print_memory(memory)
    results, titles = {}, {}
    work = workloads()
    for workload in work:
        ours_path, rows = measure_workload(workload, torch_info is not None, seconds)
        print_workload(workload, ours_path, rows)
        results[workload.number], titles[workload.number] = rows, workload.title
    print_targets(results, titles, memory)
    big = next(workload for workload in work if workload.number == BUFFER_WORKLOAD)
    print_buffer_reuse(big, results[big.number], seconds)
    print(f"\nTotal time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
