"""Export and import of trained weights as .npz or .json; both round-trip exactly.

A file holds the format name and version, the settings, the dataset name, epochs and updates done, the
final metrics and the four arrays (W1 (d, h), b1 (h,), W2 (h, 1), b2 (1,); a disabled bias is null in
JSON and absent in .npz). Writes are atomic: a temporary file in the same folder, then a rename, so an
interrupted export never leaves a half-written file behind.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.config import MAX_HIDDEN, MAX_INPUTS, SettingError, TrainConfig
from model.network import Params

FORMAT = "perceptron-playground-weights"
VERSION = 1
SUFFIXES = (".npz", ".json")


@dataclass(frozen=True)
class WeightsFile:
    params: Params
    config: TrainConfig | None
    dataset: str | None
    epochs: int
    updates: int
    metrics: dict
    # The standardisation the network was trained behind (CSV with standardize): x_used = (x - mean) / std.
    input_mean: np.ndarray | None = None
    input_std: np.ndarray | None = None

    def scale_inputs(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X if self.input_mean is None else (X - self.input_mean) / self.input_std


def save_weights(path, params: Params, config: TrainConfig, *, dataset: str = "", epochs: int = 0,
                 updates: int = 0, metrics: dict | None = None, input_mean=None, input_std=None) -> Path:
    path = Path(path)
    _check_suffix(path)
    meta = {
        "format": FORMAT, "version": VERSION, "config": config.as_dict(), "dataset": dataset,
        "epochs": int(epochs), "updates": int(updates),
        "metrics": {k: _finite_or_none(v) for k, v in (metrics or {}).items()},
    }
    arrays = {"W1": params.W1, "W2": params.W2}
    if config.bias:
        arrays.update(b1=params.b1, b2=params.b2)
    if input_mean is not None:
        arrays.update(input_mean=np.asarray(input_mean, dtype=np.float64),
                      input_std=np.asarray(input_std, dtype=np.float64))
    if path.suffix == ".json":
        meta["weights"] = {name: arrays[name].tolist() if name in arrays else None for name in ("W1", "b1", "W2", "b2")}
        meta["input_scaling"] = ({"mean": arrays["input_mean"].tolist(), "std": arrays["input_std"].tolist()}
                                 if input_mean is not None else None)
        data = (json.dumps(meta, indent=1) + "\n").encode()
    else:
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
        data = buffer.getvalue()
    _write_atomic(path, data)
    return path


def load_weights(path) -> WeightsFile:
    path = Path(path)
    _check_suffix(path)
    try:
        if path.suffix == ".json":
            meta = json.loads(path.read_text(encoding="utf-8"))
            _check_format(meta, path)
            weights = meta.get("weights")
            if not isinstance(weights, dict):
                raise ValueError("no 'weights' object")
            arrays = {k: (None if weights.get(k) is None else np.array(weights[k], dtype=np.float64))
                      for k in ("W1", "b1", "W2", "b2")}
            scaling = meta.get("input_scaling") or {}
            arrays["input_mean"], arrays["input_std"] = (
                None if scaling.get(k) is None else np.array(scaling[k], dtype=np.float64) for k in ("mean", "std"))
        else:
            # Open the file ourselves: np.load leaks its handle when the zip is corrupt.
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                _check_format(meta, path)
                arrays = {k: (npz[k].astype(np.float64) if k in npz.files else None)
                          for k in ("W1", "b1", "W2", "b2", "input_mean", "input_std")}
    except FileNotFoundError:
        raise SettingError("weights", str(path), "no such file") from None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise SettingError("weights", str(path), f"is not a readable weights file ({exc})") from None
    params = _params_from(arrays, path)
    config = None
    if meta.get("config"):
        config = TrainConfig.from_dict(meta["config"])
        if config.hidden != params.n_hidden:
            raise SettingError("weights", str(path),
                               f"says hidden = {config.hidden} but W1 has {params.n_hidden} columns")
    mean, std = _input_scaling(arrays, params.n_inputs, path)
    return WeightsFile(params, config, meta.get("dataset") or None, int(meta.get("epochs", 0)),
                       int(meta.get("updates", 0)), dict(meta.get("metrics") or {}), mean, std)


def _input_scaling(arrays: dict, d: int, path: Path):
    mean, std = arrays.get("input_mean"), arrays.get("input_std")
    if mean is None and std is None:
        return None, None
    if mean is None or std is None or mean.shape != (d,) or std.shape != (d,) or not (std > 0).all():
        raise SettingError("weights input_scaling", str(path),
                           f"needs a mean and a positive std for each of {d} inputs")
    return mean, std


def _check_format(meta, path: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SettingError("weights", str(path), f"is not a {FORMAT} file")
    if meta.get("version") != VERSION:
        raise SettingError("weights", str(path),
                           f"has format version {meta.get('version')!r}; this app reads {VERSION}")


def _params_from(arrays: dict, path: Path) -> Params:
    W1, b1, W2, b2 = (arrays[k] for k in ("W1", "b1", "W2", "b2"))

    def bad(name, array, expected):
        shape = None if array is None else tuple(array.shape)
        return SettingError(f"weights {name}", shape, f"must have shape {expected} (in {path.name})")

    if W1 is None or W1.ndim != 2 or not (1 <= W1.shape[0] <= MAX_INPUTS and 1 <= W1.shape[1] <= MAX_HIDDEN):
        raise bad("W1", W1, f"(d, h) with d in 1..{MAX_INPUTS} and h in 1..{MAX_HIDDEN}")
    h = W1.shape[1]
    if W2 is None or W2.shape not in ((h, 1), (h,)):
        raise bad("W2", W2, f"({h}, 1)")
    if b1 is not None and b1.shape not in ((h,), (1, h)):
        raise bad("b1", b1, f"({h},)")
    if b2 is not None and b2.shape not in ((1,), (1, 1), ()):
        raise bad("b2", b2, "(1,)")
    params = Params.from_arrays(W1, b1, W2, b2)
    if not np.isfinite(params.theta).all():
        raise SettingError("weights", str(path), "contains values that are not finite numbers")
    return params


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise SettingError("weights file", str(path), f"must end in {' or '.join(SUFFIXES)}")


def _finite_or_none(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def write_text_atomic(path, text: str) -> Path:
    path = Path(path)
    _write_atomic(path, text.encode())
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SettingError("export path", str(path), "its folder does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
