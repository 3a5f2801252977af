"""CSV loading benchmark: ``load_csv`` against ``numpy.loadtxt`` on the same clean file.

A file of n rows x 3 columns ("d.dddd" numbers, 21 bytes a row) is written into a temporary directory and
loaded by ``numpy.loadtxt(path, delimiter=",")``, ``load_csv(path)`` and ``load_csv(path, standardize=True)``,
each load in a fresh child process. The child reports the load's CPU time and wall time and its peak memory:
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after the load minus the resident memory after the imports.
The loads alternate (loadtxt, load_csv, standardised, loadtxt, ...) and the best time of each is kept, so
all three see the same machine load; the speed target is checked on CPU time (this machine is shared, and
waiting for a core is not the reader's cost), with the wall-time ratio printed beside it. The children also
hash what they loaded, to check that load_csv read exactly the values loadtxt did.

The file is written by a child process too, and this process never imports NumPy: on Linux a child's
ru_maxrss starts at its parent's peak (the kernel carries it across exec), which must stay below what the
child holds after its imports, or the children's peaks would all read as the parent's.

Targets: load time within 1.5x of numpy.loadtxt's; peak memory under 3x the file's size. A missed target
is reported, not raised (the exit status stays 0).

    .venv/bin/python bench/data.py            # 10^6 rows (21 MB) and 10^7 rows (210 MB): under a minute
    .venv/bin/python bench/data.py --quick    # 5 x 10^5 rows (10 MB), a few seconds (smoke test)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_TIME_RATIO = 1.5  # load_csv time / numpy.loadtxt time, at most
TARGET_MEMORY_RATIO = 3.0  # peak memory / file size, under
READERS = {
    "loadtxt": "numpy.loadtxt",
    "load_csv": "load_csv",
    "standardize": "load_csv(standardize=True)",
}
COLUMNS = 3


# --- the file ------------------------------------------------------------------------------------------
def write_file(path: Path, rows: int, seed: int = 0) -> None:
    """rows x 3 numbers "d.dddd" (uniform in [0, 10), four decimals), written 10^6 rows at a time."""
    import numpy as np

    rng = np.random.RandomState(seed)
    with open(path, "wb") as file:
        for start in range(0, rows, 10**6):
            count = min(10**6, rows - start)
            digits = rng.randint(0, 100_000, size=(count, COLUMNS))  # value = digits / 10^4
            text = np.empty((count, COLUMNS, 7), dtype=np.uint8)  # "d.dddd" and a comma or newline
            text[:, :, 0] = digits // 10_000 + ord("0")
            text[:, :, 1] = ord(".")
            for place, power in enumerate((1000, 100, 10, 1), start=2):
                text[:, :, place] = digits // power % 10 + ord("0")
            text[:, :, 6] = ord(",")
            text[:, -1, 6] = ord("\n")
            file.write(text.tobytes())


# --- one load, in a child process ----------------------------------------------------------------------
def resident_bytes() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize()
    except OSError:
        return peak_bytes()


def peak_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, kilobytes elsewhere


def child(reader: str, path: str) -> None:
    """Load the file once with `reader` and print what it cost as one JSON line."""
    import numpy as np

    from model.datasets import load_csv

    before = resident_bytes()
    floor = peak_bytes() - before  # > 0: the peak before loading (inherited or from the imports) hides a part
    cpu, wall = time.process_time(), time.perf_counter()
    if reader == "loadtxt":
        values = np.loadtxt(path, delimiter=",", dtype=np.float64)
        X, y = values[:, :-1], values[:, -1]
    else:
        dataset = load_csv(path, standardize=reader == "standardize")
        X, y = dataset.X, dataset.y
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = peak_bytes() - before
    exact = digest(X, y)
    if reader == "standardize":
        X = X * dataset.input_std + dataset.input_mean  # back to the file's values, up to rounding
    print(json.dumps({"cpu": cpu, "wall": wall, "peak": peak, "floor": floor, "rows": len(y), "digest": exact,
                      "rounded": digest(np.round(X, 4), y), "numpy": np.__version__}))


def digest(X, y) -> str:
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(y).tobytes()).hexdigest()


def in_child(*args: str) -> str:
    run = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, timeout=3600)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({run.returncode}): {run.stderr.strip()[-800:]}")
    return run.stdout


def measure(reader: str, path: Path) -> dict:
    return json.loads(in_child("--child", reader, str(path)).strip().splitlines()[-1])


# --- the benchmark -------------------------------------------------------------------------------------
def bench_size(rows: int, repeats: int, directory: Path) -> list[tuple[bool, str]]:
    path = directory / f"rows_{rows}.csv"
    in_child("--write", str(rows), str(path))
    size = path.stat().st_size
    results: dict[str, list[dict]] = {reader: [] for reader in READERS}
    for _ in range(repeats):
        for reader in READERS:
            results[reader].append(measure(reader, path))
    best = {reader: {"cpu": min(r["cpu"] for r in runs), "wall": min(r["wall"] for r in runs),
                     "peak": max(r["peak"] for r in runs), "rows": runs[0]["rows"], "digest": runs[0]["digest"],
                     "rounded": runs[0]["rounded"], "floor": max(r["floor"] for r in runs)}
            for reader, runs in results.items()}
    print(f"\n{rows:,} rows x {COLUMNS} columns, {size / 1e6:.1f} MB; NumPy {results['loadtxt'][0]['numpy']} (time: "
          f"best of {repeats}; memory: the largest peak)")
    print(f"  {'reader':<28}{'CPU s':>8}{'wall s':>9}{'peak MB':>10}{'peak / file':>13}")
    for reader, label in READERS.items():
        b = best[reader]
        print(f"  {label:<28}{b['cpu']:>8.2f}{b['wall']:>9.2f}{b['peak'] / 1e6:>10.1f}{b['peak'] / size:>12.2f}x")
    same = best["load_csv"]["digest"] == best["loadtxt"]["digest"] and all(r["rows"] == rows for r in best.values())
    standardized = best["standardize"]["rounded"] == best["loadtxt"]["rounded"]
    floor = max(b["floor"] for b in best.values())
    if floor > 1e6:
        print(f"  note: a child's peak before loading was {floor / 1e6:.1f} MB above its resident memory, so peaks "
              "below that are not seen")
    print(f"  same values as numpy.loadtxt: {'yes' if same else 'NO'}; standardised values scale back to the "
          f"file's: {'yes' if standardized else 'NO'}")
    time_ratio = best["load_csv"]["cpu"] / best["loadtxt"]["cpu"]
    wall_ratio = best["load_csv"]["wall"] / best["loadtxt"]["wall"]
    verdicts = [(time_ratio <= TARGET_TIME_RATIO,
                 f"{rows:,} rows: load_csv time / numpy.loadtxt time = {time_ratio:.2f}x CPU "
                 f"({wall_ratio:.2f}x wall); target <= {TARGET_TIME_RATIO:g}x")]
    for reader in ("load_csv", "standardize"):
        ratio = best[reader]["peak"] / size
        verdicts.append((ratio < TARGET_MEMORY_RATIO, f"{rows:,} rows: {READERS[reader]} peak memory / file size = "
                                                      f"{ratio:.2f}x; target < {TARGET_MEMORY_RATIO:g}x"))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 x 10^5 rows only, best of 2 (a few seconds)")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.write:
        write_file(Path(args.write[1]), int(args.write[0]))
        return 0
    sizes = [(5 * 10**5, 2)] if args.quick else [(10**6, 3), (10**7, 1)]
    print("CSV loading benchmark: load_csv against numpy.loadtxt on the same file, each load in a fresh process")
    print(f"Python {platform.python_version()}, {platform.system()} {platform.machine()}")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="bench_data_") as directory:
        for rows, repeats in sizes:
            verdicts += bench_size(rows, repeats, Path(directory))
    print("\nTargets (ratios measured above, in this run):")
    for ok, what in verdicts:
        print(f"  {'PASS' if ok else 'FAIL'}  {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
