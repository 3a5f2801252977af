"""Session benchmark: how long saving and opening a session takes, and what autosave costs a training run.

    .venv/bin/python bench/session.py            # about a minute
    .venv/bin/python bench/session.py --quick    # about ten seconds: 10^6 epochs, 10^5 rows, 3 pairs (smoke test)

Cases, measured side by side in this one run:
 1. a 10^7-epoch run: XOR 2-4-1, full batch, trained on the compiled loop (its history has thinned to a stride of
    4,096 epochs); save_session and load_session (the best of REPEATS each) under 1 s each
 2. a 10^6-row dataset: the generated circle, 900,000 training and 100,000 test rows, 2-4-1 in mini-batches of
    32, saved 1,000 updates into its third epoch; save_session and load_session under 1 s each
 3. autosave every AUTOSAVE_SECONDS keeps at least 95 % of the training speed. Training flat out (Trainer.run in
    50 ms slices, as the window's worker trains) in windows of WINDOW_SECONDS, alternately with and without a
    save at the window's start: the state copied in the training thread (Trainer.export_state, timed), written
    by a thread of its own (save_session) while training goes on. Each adjacent pair gives the training time one
    save cost; the median over PAIRS pairs, over AUTOSAVE_SECONDS, is the share of the speed lost. On XOR 2-4-1
    with one random sample an update (every history row keeps the stream's state: the fullest history) and on
    the 10^6-row dataset of case 2 (a 31 MB file each time).

Each reopened run is checked to go on exactly as the saved one does. Files go to a temporary folder (under
tempfile.gettempdir(); writes end with fsync, so the disk under it matters), removed afterwards. A missed target
is reported, not raised (the exit status stays 0). Also runs as ``python -m bench.session``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a plain checkout: only bench/ is on sys.path
    sys.path.insert(0, str(ROOT))

from model import kernel  # noqa: E402
from model.config import TrainConfig  # noqa: E402
from model.datasets import load_dataset  # noqa: E402
from model.generators import GeneratorSettings, generate  # noqa: E402
from model.session import load_session, save_session  # noqa: E402
from model.trainer import Trainer  # noqa: E402

REPEATS = 3
MID_EPOCH_UPDATES = 1000
TARGET_SECONDS = 1.0  # to save, and to open, a session
TARGET_SPEED_KEPT = 0.95  # training speed with autosave / without
AUTOSAVE_SECONDS = 2.0
PAIRS = 20  # of autosave windows, with and without a save
WINDOW_SECONDS = 0.5
SLICE_SECONDS = 0.05  # one Trainer.run call of the training loop
XOR = TrainConfig(hidden=4, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full", init="xavier",
                  seed=1)
LARGE = TrainConfig(hidden=4, activation="relu", output="sigmoid", loss="bce", lr=0.05, mode="minibatch",
                    batch_size=32, init="he", seed=1)


def best_time(call, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return min(times)


# --- cases 1 and 2: save and open -------------------------------------------------------------------------
def save_and_open(trainer: Trainer, path: Path) -> tuple[float, float, int]:
    """Seconds to save and to open (best of REPEATS each) and the file's size; checks the reopened run."""
    save_session(path, trainer)  # once first: imports and the file system's first touch are not the case
    saving = best_time(lambda: save_session(path, trainer))
    opening = best_time(lambda: load_session(path))
    reopened = load_session(path).trainer
    for run in (trainer, reopened):
        run.run(1)
    if not np.array_equal(reopened.params.theta, trainer.params.theta):
        raise SystemExit("THE REOPENED RUN WENT ANOTHER WAY")  # a bug, not a slow machine
    return saving, opening, path.stat().st_size


def ten_million_epochs(epochs: int) -> Trainer:
    trainer = Trainer(XOR, load_dataset("xor"))
    trainer.prepare_compiled()
    began = time.perf_counter()
    trainer.run(epochs)
    print(f"   trained {epochs:,} epochs in {time.perf_counter() - began:.1f} s (history stride "
          f"{trainer.history.stride:,}, {trainer.history.count:,} rows)")
    return trainer


def large_dataset(rows: int) -> Trainer:
    began = time.perf_counter()
    dataset = generate("circle", GeneratorSettings(samples=rows, test_ratio=0.1))
    trainer = Trainer(LARGE, dataset)
    trainer.prepare_compiled()
    trainer.run(2)
    for _ in range(MID_EPOCH_UPDATES):  # an epoch under way: its sample order (n,) is part of the state
        trainer.step_update()
    print(f"   {len(dataset.X):,} + {len(dataset.X_test):,} rows generated and trained to epoch {trainer.epoch} "
          f"(+{trainer.position:,}/{trainer.updates_per_epoch:,}) in {time.perf_counter() - began:.1f} s")
    return trainer


# --- case 3: autosave ---------------------------------------------------------------------------------------
def window(trainer: Trainer, seconds: float, autosave: Path | None, copies: list, writes: list) -> float:
    """Updates per second over ``seconds`` of training flat out; with ``autosave``, the window opens with a save:
    the state copied here (the training thread), written by a thread of its own meanwhile (its cost falls in
    this window: it is waited for at the end). The copy's and the write's seconds are appended."""
    start_updates, began = trainer.updates, time.perf_counter()
    writer = None
    if autosave is not None:
        state = trainer.export_state()
        copies.append(time.perf_counter() - began)

        def write():
            written = time.perf_counter()
            save_session(autosave, state)
            writes.append(time.perf_counter() - written)

        writer = threading.Thread(target=write)
        writer.start()
    while time.perf_counter() - began < seconds:
        trainer.run(10**12, max_seconds=SLICE_SECONDS)
    speed = (trainer.updates - start_updates) / (time.perf_counter() - began)
    if writer is not None:
        writer.join()
    return speed


def autosave_cost(name: str, trainer: Trainer, path: Path, pairs: int, seconds: float) -> float:
    """The share of the training speed kept when saving every AUTOSAVE_SECONDS. Windows of ``seconds`` of one
    run alternate with and without a save (in both orders, so that a drift of the machine's speed cancels); each
    adjacent pair gives the training time one save cost, ``seconds`` x (1 - speed with / speed without), and the
    median of those, over AUTOSAVE_SECONDS, is the share lost. (This machine's speed wanders by 20 % from one
    second to the next, far more than a save costs: many short pairs and a median see through it.)"""
    lost, copies, writes, speeds = [], [], [], []
    for pair in range(pairs):
        order = (None, path) if pair % 2 == 0 else (path, None)
        speed = {saving: window(trainer, seconds, saving, copies, writes) for saving in order}
        lost.append(seconds * (1 - speed[path] / speed[None]))
        speeds.append(speed[None])
    quartiles = np.percentile(lost, [25, 50, 75]) * 1e3
    epochs_per_second = np.median(speeds) / trainer.updates_per_epoch
    print(f"   {name}: {epochs_per_second:,.{0 if epochs_per_second >= 100 else 1}f} epochs/s; {pairs} saves of "
          f"{path.stat().st_size / 1e6:.1f} MB: copy in the training thread {_ms(copies)}, write (another thread) "
          f"{_ms(writes)}; training time one save cost: median {quartiles[1]:.0f} ms (quartiles {quartiles[0]:.0f}, "
          f"{quartiles[2]:.0f})")
    return 1 - float(np.median(lost)) / AUTOSAVE_SECONDS


def _ms(seconds: list[float]) -> str:
    return f"{1e3 * np.median(seconds):.1f} ms median, {1e3 * max(seconds):.1f} ms worst" if seconds else "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: smaller cases, a few seconds")
    args = parser.parse_args()
    epochs, rows, pairs, seconds = (10**6, 10**5, 3, 0.25) if args.quick else (10**7, 10**6, PAIRS, WINDOW_SECONDS)
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, {platform.machine()}; compiled loop: "
          f"{'yes' if kernel.warm_up() else 'no (' + str(kernel.unavailable_reason()) + ')'}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-session-") as folder:
        folder = Path(folder)
        print(f"1. XOR 2-4-1, full batch, {epochs:,} epochs")
        saving, opening, size = save_and_open(ten_million_epochs(epochs), folder / "long.session.npz")
        print(f"   save {saving * 1e3:.0f} ms, open {opening * 1e3:.0f} ms ({size / 1e6:.1f} MB)")
        results += [(f"save a {epochs:,}-epoch run", saving), (f"open a {epochs:,}-epoch run", opening)]
        print(f"2. circle, {rows:,} rows, 2-4-1 mini-batches of 32")
        large = large_dataset(rows)
        saving, opening, size = save_and_open(large, folder / "large.session.npz")
        print(f"   save {saving * 1e3:.0f} ms, open {opening * 1e3:.0f} ms ({size / 1e6:.1f} MB)")
        results += [(f"save a {rows:,}-row dataset", saving), (f"open a {rows:,}-row dataset", opening)]
        print(f"3. autosave every {AUTOSAVE_SECONDS:g} s: {pairs} pairs of {seconds:g} s windows, with and without a "
              "save")
        xor = Trainer(XOR.replace(mode="random_sample", lr=0.05), load_dataset("xor"))
        xor.prepare_compiled()
        xor.run(10**6 // 10 if args.quick else 10**6)  # a full history first: its rows are what a copy costs
        kept = [(name, autosave_cost(name, trainer, folder / f"auto{i}.session.npz", pairs, seconds))
                for i, (name, trainer) in enumerate((("XOR random_sample", xor), (f"{rows:,} rows", large)))]
    print("\nTargets")
    for name, measured in results:
        verdict = "PASS" if measured < TARGET_SECONDS else "FAIL"
        print(f"  {verdict}  {name} in under {TARGET_SECONDS:g} s: measured {measured * 1e3:,.0f} ms")
    for name, ratio in kept:
        verdict = "PASS" if ratio >= TARGET_SPEED_KEPT else "FAIL"
        print(f"  {verdict}  autosave keeps >= {TARGET_SPEED_KEPT:.0%} of the training speed ({name}): measured "
              f"{ratio:.1%}")


if __name__ == "__main__":
    main()
