"""Bad weights files, one table: every one gives exit 2 and one line naming the field, never a traceback.

The files are built here byte by byte (some zips by hand, with members that unpack to gigabytes), and read
by the real CLI (``predict``) as a user would; the loader's memory use is checked in-process.
"""

from __future__ import annotations

import io
import json
import math
import struct
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

from model.config import SettingError, TrainConfig
from model.network import Params
from model.weights_io import load_weights, save_weights

ROOT = Path(__file__).resolve().parents[1]
CONFIG = TrainConfig(hidden=3, activation="tanh", output="sigmoid", loss="bce", lr=0.5, mode="full", init="xavier")
BOMB_ZEROS = 300_000_000  # float64 zeros: 2.4 GB unpacked from a 2.3 MB member
_DROP = object()  # a key to leave out


def _valid_meta() -> dict:
    """The contents of a valid .json weights file: a 2-3-1 network trained on xor, with input scaling."""
    params = Params(2, 3, np.linspace(-1, 1, 13))
    meta = {"format": "perceptron-playground-weights", "version": 1, "config": CONFIG.as_dict(), "dataset": "xor",
            "epochs": 7, "updates": 7, "metrics": {"train_loss": 0.25}}
    meta["weights"] = {"W1": params.W1.tolist(), "b1": params.b1.tolist(), "W2": params.W2.tolist(),
                       "b2": params.b2.tolist()}
    meta["input_scaling"] = {"mean": [0.5, 0.5], "std": [0.5, 2.0]}
    return meta


def _json(**changes) -> bytes:
    meta = {**_valid_meta(), **changes}
    return json.dumps({k: v for k, v in meta.items() if v is not _DROP}).encode()


def _weights(**changes) -> bytes:
    meta = _valid_meta()
    meta["weights"] = {**meta["weights"], **changes}
    return json.dumps(meta).encode()


def _scaling(mean, std) -> bytes:
    return _json(input_scaling={"mean": mean, "std": std})


def _npz_arrays() -> dict:
    meta = _valid_meta()
    weights = meta["weights"]
    return {"W1": np.array(weights["W1"]), "b1": np.array(weights["b1"]), "W2": np.array(weights["W2"]),
            "b2": np.array(weights["b2"]), "input_mean": np.array([0.5, 0.5]), "input_std": np.array([0.5, 2.0])}


def _npz_meta(**changes) -> str:
    meta = {k: v for k, v in _valid_meta().items() if k not in ("weights", "input_scaling")}
    return json.dumps({**meta, **changes})


def _npz(meta=_DROP, **arrays) -> bytes:
    """An .npz as np.savez writes it; arrays given as None are left out."""
    members = {**_npz_arrays(), **arrays}
    members["meta"] = np.array(_npz_meta()) if meta is _DROP else meta
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in members.items() if v is not None})
    return buffer.getvalue()


def _npy_header(descr: str, shape: tuple) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _stored(name: str, data: bytes, method: int = 0, flags: int = 0) -> tuple:
    return name, method, flags, data, zlib.crc32(data), len(data)


def _deflated_zeros(name: str, header: bytes, n_zero_bytes: int) -> tuple:
    """A deflated zip member: header then n zero bytes, compressed about 1000:1 without making the bytes:
    after a full flush the compressor starts afresh, so every 16 MiB block of zeros compresses the same."""
    block = 1 << 24
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(block)
    full_block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(n_zero_bytes, block)
    tail = compressor.compress(bytes(rest)) + compressor.flush()
    crc = zlib.crc32(header)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    crc = zlib.crc32(bytes(rest), crc)
    return name, 8, 0, head + full_block * count + tail, crc, len(header) + n_zero_bytes


def _zip(*members: tuple) -> bytes:
    """A zip archive written by hand, so members can be what no library would write."""
    out, central = io.BytesIO(), []
    for name, method, flags, payload, crc, size in members:
        offset, encoded = out.tell(), name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(payload), size,
                              len(encoded), 0) + encoded + payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x21, crc,
                                   len(payload), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _zip_with(**replaced) -> bytes:
    """A valid .npz's members as stored .npy files, some replaced by (name, ...) member tuples."""
    members = {k: _stored(f"{k}.npy", _npy(v)) for k, v in _npz_arrays().items()}
    members["meta"] = _stored("meta.npy", _npy(np.array(_npz_meta())))
    members.update(replaced)
    return _zip(*members.values())


def _w1_bomb() -> bytes:
    return _zip_with(W1=_deflated_zeros("W1.npy", _npy_header("<f8", (BOMB_ZEROS,)), 8 * BOMB_ZEROS))


def _meta_bomb() -> bytes:
    chars = 100_000_000  # a 0-d string of 10^8 characters: 400 MB
    return _zip_with(meta=_deflated_zeros("meta.npy", _npy_header(f"<U{chars}", ()), 4 * chars))


def _truncated_member(name: str) -> tuple:
    header = _npy_header("<f8", (5_000_000,))  # says 40 MB, holds 16 bytes
    return _stored(f"{name}.npy", header + bytes(16))


_DEEP = b'"weights": ' + b"[" * 100_000 + b"]" * 100_000


def _complex_w1() -> np.ndarray:
    return np.array(_valid_meta()["weights"]["W1"]) * (1 + 1j)


# (case id, suffix, the file's bytes, the field the message must name)
BAD_FILES = [
    # counts
    ("epochs text", ".json", lambda: _json(epochs="ten"), "epochs"),
    ("epochs null", ".json", lambda: _json(epochs=None), "epochs"),
    ("epochs 1e400", ".json", lambda: _json(epochs=12345).replace(b"12345", b"1e400"), "epochs"),
    ("epochs list", ".json", lambda: _json(epochs=[7]), "epochs"),
    ("epochs negative", ".json", lambda: _json(epochs=-1), "epochs"),
    ("epochs true", ".json", lambda: _json(epochs=True), "epochs"),
    ("epochs fraction", ".json", lambda: _json(epochs=1.5), "epochs"),
    ("updates text", ".json", lambda: _json(updates="7"), "updates"),
    ("updates null", ".json", lambda: _json(updates=None), "updates"),
    ("updates 1e400", ".json", lambda: _json(updates=12345).replace(b"12345", b"1e400"), "updates"),
    ("updates list", ".json", lambda: _json(updates=[]), "updates"),
    # sections of the wrong type
    ("metrics list", ".json", lambda: _json(metrics=[0.25]), "metrics"),
    ("metrics text", ".json", lambda: _json(metrics="good"), "metrics"),
    ("metrics value text", ".json", lambda: _json(metrics={"train_loss": "low"}), "metrics"),
    ("metrics value list", ".json", lambda: _json(metrics={"train_loss": [1]}), "metrics"),
    ("config list", ".json", lambda: _json(config=[]), "config"),
    ("config text", ".json", lambda: _json(config="tanh"), "config"),
    ("config number", ".json", lambda: _json(config=3), "config"),
    ("config bad value", ".json", lambda: _json(config={**CONFIG.as_dict(), "lr": "fast"}), "config"),
    ("config unknown key", ".json", lambda: _json(config={**CONFIG.as_dict(), "speed": 1}), "config"),
    ("input_scaling list", ".json", lambda: _json(input_scaling=[0, 1]), "input_scaling"),
    ("input_scaling text", ".json", lambda: _json(input_scaling="standard"), "input_scaling"),
    ("input_scaling nan std", ".json", lambda: _scaling([0, 0], [1, math.nan]), "input_scaling"),
    ("input_scaling inf std", ".json", lambda: _scaling([0, 0], [1, math.inf]), "input_scaling"),
    ("input_scaling zero std", ".json", lambda: _scaling([0, 0], [1, 0]), "input_scaling"),
    ("input_scaling nan mean", ".json", lambda: _scaling([math.nan, 0], [1, 1]), "input_scaling"),
    ("input_scaling text mean", ".json", lambda: _scaling(["a", "b"], [1, 1]), "input_scaling"),
    ("input_scaling no std", ".json", lambda: _scaling([0, 0], None), "input_scaling"),
    ("input_scaling wrong length", ".json", lambda: _scaling([0, 0, 0], [1, 1, 1]), "input_scaling"),
    ("dataset list", ".json", lambda: _json(dataset=["xor"]), "dataset"),
    ("dataset number", ".json", lambda: _json(dataset=5), "dataset"),
    ("dataset two lines", ".json", lambda: _json(dataset="xor\nand more"), "dataset"),
    # the frame of the file
    ("nested 100000 deep", ".json", lambda: _json(weights=1).replace(b'"weights": 1', _DEEP), "weights"),
    ("not json", ".json", lambda: b"W1 = [1, 2]", "weights"),
    ("empty json", ".json", lambda: b"", "weights"),
    ("not utf-8", ".json", lambda: b'{"format": "\xff\xfe"}', "weights"),
    ("top-level list", ".json", lambda: b"[1, 2, 3]", "weights"),
    ("other format", ".json", lambda: _json(format="keras"), "weights"),
    ("version text", ".json", lambda: _json(version="1"), "version"),
    ("version true", ".json", lambda: _json(version=True), "version"),
    ("too large", ".json", lambda: b" " * (17 << 20) + _json(), "weights"),
    ("weights missing", ".json", lambda: _json(weights=_DROP), "weights"),
    ("weights list", ".json", lambda: _json(weights=[[1.0]]), "weights"),
    # the arrays
    ("W1 text", ".json", lambda: _weights(W1=[["1", "2", "3"], ["4", "5", "6"]]), "W1"),
    ("W1 null", ".json", lambda: _weights(W1=None), "W1"),
    ("W1 true/false", ".json", lambda: _weights(W1=[[True, False, True]] * 2), "W1"),
    ("W1 ragged", ".json", lambda: _weights(W1=[[1.0, 2.0, 3.0], [4.0]]), "W1"),
    ("W1 nan", ".json", lambda: _weights(W1=[[1.0, math.nan, 3.0]] * 2), "W1"),
    ("W1 17 inputs", ".json", lambda: _weights(W1=[[1.0] * 3] * 17), "W1"),
    ("b2 two values", ".json", lambda: _weights(b2=[1.0, 2.0]), "b2"),
    ("W2 object", ".json", lambda: _weights(W2={"a": 1}), "W2"),
    # .npz: the zip
    ("0-byte npz", ".npz", lambda: b"", "weights"),
    ("not a zip", ".npz", lambda: b"garbage, not a zip", "weights"),
    ("truncated zip", ".npz", lambda: _npz()[: len(_npz()) // 2], "weights"),
    ("unknown compression", ".npz", lambda: _zip_with(W1=_stored("W1.npy", b"\0" * 200, method=93)), "W1"),
    ("encrypted member", ".npz", lambda: _zip_with(W1=_stored("W1.npy", _npy(_npz_arrays()["W1"]), flags=1)), "W1"),
    # .npz: the arrays
    ("W1 complex", ".npz", lambda: _npz(W1=_complex_w1()), "W1"),
    ("W1 bool", ".npz", lambda: _npz(W1=np.ones((2, 3), dtype=bool)), "W1"),
    ("W1 text", ".npz", lambda: _npz(W1=np.full((2, 3), "1.0")), "W1"),
    ("W1 object", ".npz", lambda: _npz(W1=np.array([[1.0, None, 2.0]] * 2, dtype=object)), "W1"),
    ("W1 structured", ".npz", lambda: _npz(W1=np.zeros((2, 3), dtype=[("a", "<f8")])), "W1"),
    ("W1 nan", ".npz", lambda: _npz(W1=np.full((2, 3), np.nan)), "W1"),
    ("W1 missing", ".npz", lambda: _npz(W1=None), "W1"),
    ("W1 3e8 zeros", ".npz", _w1_bomb, "W1"),
    ("b1 says 40 MB", ".npz", lambda: _zip_with(b1=_truncated_member("b1")), "b1"),
    ("W2 data cut short", ".npz", lambda: _zip_with(W2=_stored("W2.npy", _npy(np.ones((3, 1)))[:-8])), "W2"),
    ("input_std zero", ".npz", lambda: _npz(input_std=np.array([1.0, 0.0])), "input_scaling"),
    ("input_std nan", ".npz", lambda: _npz(input_std=np.array([1.0, np.nan])), "input_scaling"),
    ("input_std inf", ".npz", lambda: _npz(input_std=np.array([np.inf, 1.0])), "input_scaling"),
    ("input_mean alone", ".npz", lambda: _npz(input_std=None), "input_scaling"),
    ("input_std complex", ".npz", lambda: _npz(input_std=np.array([1 + 1j, 1])), "input_scaling"),
    # .npz: the meta member
    ("meta missing", ".npz", lambda: _npz(meta=None), "meta"),
    ("meta a number", ".npz", lambda: _npz(meta=np.array(3.0)), "meta"),
    ("meta not json", ".npz", lambda: _npz(meta=np.array("epochs: 7")), "meta"),
    ("meta 10^8 characters", ".npz", _meta_bomb, "meta"),
    ("meta nested deep", ".npz", lambda: _npz(meta=np.array("[" * 100_000 + "]" * 100_000)), "meta"),
    ("meta epochs text", ".npz", lambda: _npz(meta=np.array(_npz_meta(epochs="7"))), "epochs"),
    ("meta dataset list", ".npz", lambda: _npz(meta=np.array(_npz_meta(dataset=["xor"]))), "dataset"),
    ("meta config list", ".npz", lambda: _npz(meta=np.array(_npz_meta(config=["tanh"]))), "config"),
    ("meta metrics text", ".npz", lambda: _npz(meta=np.array(_npz_meta(metrics="good"))), "metrics"),
]


def _write(tmp_path: Path, case: str, suffix: str, make) -> Path:
    path = tmp_path / (case.replace(" ", "_").replace("/", "_") + suffix)
    path.write_bytes(make())
    return path


def test_the_unchanged_files_are_valid(tmp_path):
    """The table's files differ from a valid file only in what each case changes."""
    for suffix, data in ((".json", _json()), (".npz", _npz()), (".npz", _zip_with())):
        path = tmp_path / f"valid{suffix}"
        path.write_bytes(data)
        loaded = load_weights(path)
        assert loaded.config == CONFIG and loaded.dataset == "xor" and (loaded.epochs, loaded.updates) == (7, 7)
        np.testing.assert_array_equal(loaded.input_std, [0.5, 2.0])
        run = subprocess.run([sys.executable, str(ROOT / "main.py"), "predict", "--weights", str(path), "1", "2"],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and run.stderr == "", run.stderr


@pytest.mark.parametrize(("case", "suffix", "make", "field"), BAD_FILES, ids=[c[0] + c[1] for c in BAD_FILES])
def test_a_bad_weights_file_is_one_line_naming_the_field(tmp_path, case, suffix, make, field):
    path = _write(tmp_path, case, suffix, make)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "predict", "--weights", str(path), "1", "2"],
                         capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    message = lines[0].removeprefix("error: ")
    assert " = " in message, message
    assert field in message.split(" = ")[0], message  # the field comes before its value
    assert message.count(path.name) <= 1, message  # one message, not one wrapped in another
    assert run.stdout == ""
    assert elapsed < 60, f"{elapsed:.1f} s"  # start-up and the checks take about a second: slack for a stalled machine


@pytest.mark.parametrize("make", [_w1_bomb, _meta_bomb], ids=["W1", "meta"])
def test_a_zip_bomb_is_refused_from_the_headers_without_unpacking(tmp_path, make):
    path = tmp_path / "bomb.npz"
    path.write_bytes(make())
    assert path.stat().st_size < 5_000_000
    tracemalloc.start()
    start = time.thread_time()  # this thread's CPU time: unpacking would use it, a stalled machine does not
    try:
        with pytest.raises(SettingError) as error:
            load_weights(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.thread_time() - start < 1.0  # milliseconds; unpacking W1's 2.4 GB takes seconds
    assert peak < 20_000_000, f"{peak:,} bytes allocated"
    assert "at most" in str(error.value)


def test_init_weights_refuses_a_bad_file_before_training(tmp_path):
    path = tmp_path / "w.json"
    path.write_bytes(_json(epochs="ten"))
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", "--init-weights", str(path), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error: weights epochs = 'ten': ") and len(run.stderr.splitlines()) == 1


def test_a_saved_file_is_read_back_after_the_checks(tmp_path):
    """The checks accept what the app writes, input scaling included, in both formats."""
    for suffix in (".json", ".npz"):
        path = save_weights(tmp_path / f"w{suffix}", Params(2, 3, np.linspace(-1, 1, 13)), CONFIG, dataset="xor",
                            epochs=3, updates=12, metrics={"train_loss": 0.1, "accuracy": 1.0},
                            input_mean=[1.0, 2.0], input_std=[3.0, 4.0])
        loaded = load_weights(path)
        np.testing.assert_array_equal(loaded.params.theta, np.linspace(-1, 1, 13))
        np.testing.assert_array_equal(loaded.input_mean, [1.0, 2.0])
        assert loaded.metrics == {"train_loss": 0.1, "accuracy": 1.0} and loaded.updates == 12
