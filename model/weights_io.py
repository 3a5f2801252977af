"""Export and import of trained weights as .npz or .json (both round-trip exactly), export as a standalone
Python file (model/export_py.py; never read back: that would run its code), and the loss history as CSV.

A weights file holds the format name and version, the settings, the dataset name, epochs and updates done, the
final metrics and the four arrays (W1 (d, h), b1 (h,), W2 (h, 1), b2 (1,); a disabled bias is null in
JSON and absent in .npz), for a network trained on a standardised CSV the inputs' mean and std, and for one
trained on a generated dataset the settings it was drawn with ("generator": samples, noise, test_ratio,
data_seed; absent otherwise).

Writes are atomic: a temporary file in the same folder, then a rename, so an interrupted export never leaves
a half-written file behind; a new file gets the usual permissions (0666 less the umask), a replaced one keeps
its mode.

Reads trust nothing: every field is checked for its type and range, and an .npz member's shape and type are
read from its .npy header before anything is unpacked, so a file that would unpack to gigabytes costs
nothing. Every problem is a one-line :class:`SettingError` naming the field.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from model.config import MAX_HIDDEN, MAX_INPUTS, SettingError, TrainConfig
from model.export_py import CHECK_SAMPLES, python_source
from model.generators import GeneratorSettings
from model.history import COLUMNS
from model.network import Params

FORMAT = "perceptron-playground-weights"
VERSION = 1
READ_SUFFIXES = (".npz", ".json")  # what load_weights reads
SUFFIXES = (*READ_SUFFIXES, ".py")  # what save_weights writes: the extension picks the format
MAX_FILE_BYTES = 16 << 20  # the largest network's file is about 1 MB
MAX_META_CHARS = 100_000  # the .npz "meta" member: settings, names and metrics
MAX_COUNT = 2**63 - 1  # epochs and updates
MAX_NAME_CHARS = 200  # the dataset's name
# The most values each array may hold: W1 is at most MAX_INPUTS x MAX_HIDDEN, and so on.
ARRAY_LIMITS = {"W1": MAX_INPUTS * MAX_HIDDEN, "b1": MAX_HIDDEN, "W2": MAX_HIDDEN, "b2": 1,
                "input_mean": MAX_INPUTS, "input_std": MAX_INPUTS}
MEMBER_FIELDS = {"input_mean": "input_scaling mean", "input_std": "input_scaling std"}  # as errors name them
NUMBER_KINDS = "iuf"  # numpy dtype kinds accepted as numbers: no bool, complex, text or objects
# What a damaged file can make the parsing libraries raise (zipfile, zlib, json, numpy's header reader).
_UNREADABLE = (OSError, ValueError, KeyError, TypeError, EOFError, RuntimeError, OverflowError, zipfile.BadZipFile,
               zlib.error, struct.error)


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
    generator: GeneratorSettings | None = None  # how its generated dataset was drawn

    def scale_inputs(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X if self.input_mean is None else (X - self.input_mean) / self.input_std


def save_weights(path, params: Params, config: TrainConfig, *, dataset: str = "", epochs: int = 0,
                 updates: int = 0, metrics: dict | None = None, input_mean=None, input_std=None,
                 generator: GeneratorSettings | None = None, sample_X=None) -> Path:
    """Write the network to ``path``: .npz, .json or .py (a standalone Python file, model/export_py.py, whose
    self-check reproduces the outputs for ``sample_X``, raw inputs (k, d); None: CHECK_SAMPLES standard normal
    draws, scaled as the inputs were)."""
    path = Path(path)
    _check_suffix(path, SUFFIXES)
    if path.suffix.lower() == ".py":
        if sample_X is None:
            sample_X = _default_sample(params.n_inputs, input_mean, input_std)
        write_text_atomic(path, python_source(params, config, sample_X, input_mean=input_mean, input_std=input_std,
                                              dataset=dataset, epochs=epochs, metrics=metrics))
        return path
    meta = {
        "format": FORMAT, "version": VERSION, "config": config.as_dict(), "dataset": dataset,
        "epochs": int(epochs), "updates": int(updates),
        "metrics": {k: _finite_or_none(v) for k, v in (metrics or {}).items()},
    }
    if generator is not None:
        meta["generator"] = generator.as_dict()
    arrays = {"W1": params.W1, "W2": params.W2}
    if config.bias:
        arrays.update(b1=params.b1, b2=params.b2)
    if input_mean is not None:
        arrays.update(input_mean=np.asarray(input_mean, dtype=np.float64),
                      input_std=np.asarray(input_std, dtype=np.float64))
    if path.suffix.lower() == ".json":
        meta["weights"] = {name: arrays[name].tolist() if name in arrays else None for name in ("W1", "b1", "W2", "b2")}
        meta["input_scaling"] = ({"mean": arrays["input_mean"].tolist(), "std": arrays["input_std"].tolist()}
                                 if input_mean is not None else None)
        data = (json.dumps(meta, indent=1) + "\n").encode()
    else:
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
        data = buffer.getvalue()
    write_bytes_atomic(path, data)
    return path


def _default_sample(d: int, input_mean, input_std) -> np.ndarray:
    X = np.random.RandomState(0).standard_normal((CHECK_SAMPLES, d))
    return X if input_mean is None else X * input_std + input_mean


# --- reading --------------------------------------------------------------------------------------------
def load_weights(path) -> WeightsFile:
    """Read and check a weights file; any problem is a one-line SettingError naming the field."""
    path = Path(path)
    if path.suffix.lower() == ".py":
        raise SettingError("weights", str(path), "is an exported Python file: the app never reads one back (that "
                           f"would run its code); give the {' or '.join(READ_SUFFIXES)} file")
    _check_suffix(path, READ_SUFFIXES)
    data = _read_bytes(path)
    meta, arrays = _parse_json(data, path) if path.suffix.lower() == ".json" else _parse_npz(data, path)
    params = _params_from(arrays, path)
    config = _config_from(meta, path)
    if config is not None and config.hidden != params.n_hidden:
        raise SettingError("weights", str(path), f"says hidden = {config.hidden} but W1 has {params.n_hidden} columns")
    mean, std = _input_scaling(arrays, params.n_inputs, path)
    return WeightsFile(params, config, _dataset_name(meta, path), _count(meta, "epochs", path),
                       _count(meta, "updates", path), _metrics(meta, path), mean, std, _generator_from(meta, path))


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise SettingError("weights", str(path), "is a folder, not a weights file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SettingError("weights", str(path), "no such file") from None
    except OSError as exc:
        raise SettingError("weights", str(path), f"cannot be read: {exc.strerror or exc}") from None
    if not data:
        raise SettingError("weights", str(path), "is empty")
    if len(data) > MAX_FILE_BYTES:
        raise SettingError("weights", str(path), f"is larger than {MAX_FILE_BYTES >> 20} MB: not a weights file")
    return data


def _parse_json(data: bytes, path: Path) -> tuple[dict, dict]:
    meta = _json_value(data, "weights", str(path))
    _check_format(meta, path)
    weights = meta.get("weights")
    if not isinstance(weights, dict):
        raise SettingError("weights", str(path), "has no 'weights' object holding W1, b1, W2 and b2")
    arrays = {name: _json_array(weights.get(name), name, path) for name in ("W1", "b1", "W2", "b2")}
    scaling = meta.get("input_scaling")
    if scaling is None:
        scaling = {}
    elif not isinstance(scaling, dict):
        raise SettingError("weights input_scaling", _shown(scaling),
                           f'must be {{"mean": [...], "std": [...]}} or null (in {path.name})')
    for key in ("mean", "std"):
        arrays[f"input_{key}"] = _json_array(scaling.get(key), "input_scaling", path)
    return meta, arrays


def _json_value(data: bytes | str, field: str, value: str, where: str = ""):
    """Parse JSON text; field, value and where name what is being parsed in the error."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text)
    except RecursionError:
        raise SettingError(field, value, f"is nested too deeply to be a weights file{where}") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError too
        raise SettingError(field, value, f"is not a readable weights file: {_one_line(exc)}{where}") from None


def _json_array(value, name: str, path: Path) -> np.ndarray | None:
    """A JSON list (of lists) of numbers as a float64 array; None stays None."""
    if value is None:
        return None
    try:
        array = np.array(value)
    except (ValueError, TypeError, RecursionError, OverflowError):
        array = None  # ragged or too deep
    if array is None or array.dtype.kind not in NUMBER_KINDS:
        raise SettingError(f"weights {name}", _shown(value), f"must be a list of numbers (in {path.name})")
    return array.astype(np.float64)


def _parse_npz(data: bytes, path: Path) -> tuple[dict, dict]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _UNREADABLE as exc:
        raise SettingError("weights", str(path), f"is not a readable weights file: {_one_line(exc)}") from None
    with archive:
        members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        if "meta" not in members:
            raise SettingError("weights meta", None, f"is missing: {path.name} is not a weights file of this app")
        meta_text = _npz_member(archive, members["meta"], "meta", path)
        meta = _json_value(meta_text, "weights meta", _shown(meta_text), f" (in {path.name})")
        _check_format(meta, path)
        arrays = {name: (_npz_member(archive, members[name], name, path) if name in members else None)
                  for name in ARRAY_LIMITS}
    return meta, arrays


def _npz_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, path: Path):
    """One member: its .npy header is read and checked first, so nothing larger than the limits is unpacked.
    "meta" is a 0-d string (returned as str); the others are arrays of numbers (returned as float64)."""
    field = f"weights {MEMBER_FIELDS.get(name, name)}"
    try:
        with archive.open(info) as stream:
            shape, fortran_order, dtype = _npy_header(stream, field, path)
            _check_member_type(name, shape, dtype, field, path)
            count = math.prod(shape)
            raw = stream.read(count * dtype.itemsize)
            if len(raw) < count * dtype.itemsize:
                raise SettingError(field, f"{len(raw)} bytes", f"is cut short: its header says {shape} "
                                   f"{dtype} (in {path.name})")
            if stream.read(1):  # also makes zipfile check the member's CRC
                raise SettingError(field, _shown(shape), f"has more data than its shape holds (in {path.name})")
    except SettingError:
        raise
    except _UNREADABLE as exc:
        raise SettingError(field, info.filename, f"cannot be read: {_one_line(exc)} (in {path.name})") from None
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return str(array[()]) if name == "meta" else array.astype(np.float64)


def _npy_header(stream, field: str, path: Path):
    version = np.lib.format.read_magic(stream)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise SettingError(field, f".npy version {version[0]}.{version[1]}", f"must be 1.0 or 2.0 (in {path.name})")
    return readers[version](stream)


def _check_member_type(name: str, shape: tuple, dtype: np.dtype, field: str, path: Path) -> None:
    if name == "meta":
        if shape != () or dtype.kind != "U":
            raise SettingError(field, f"{dtype} {shape}", f"must be a single string (in {path.name})")
        if dtype.itemsize // 4 > MAX_META_CHARS:
            raise SettingError(field, f"{dtype.itemsize // 4:,} characters",
                               f"must be at most {MAX_META_CHARS:,} characters (in {path.name})")
        return
    if dtype.kind not in NUMBER_KINDS or dtype.subdtype is not None:
        raise SettingError(field, str(dtype), f"must hold real numbers (integer or float) (in {path.name})")
    if math.prod(shape) > ARRAY_LIMITS[name]:
        raise SettingError(field, shape, f"must hold at most {ARRAY_LIMITS[name]:,} values (in {path.name})")


def _check_format(meta, path: Path) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SettingError("weights", str(path), f"is not a {FORMAT} file")
    version = meta.get("version")
    if type(version) is not int or version != VERSION:
        raise SettingError("weights version", _shown(version),
                           f"this app reads format version {VERSION} (in {path.name})")


def _config_from(meta: dict, path: Path) -> TrainConfig | None:
    data = meta.get("config")
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SettingError("weights config", _shown(data), f"must be an object of settings or null (in {path.name})")
    try:
        return TrainConfig.from_dict(data)
    except SettingError as exc:
        raise SettingError(f"weights config {exc.field}", exc.value, f"{exc.allowed} (in {path.name})") from None


def _generator_from(meta: dict, path: Path) -> GeneratorSettings | None:
    data = meta.get("generator")
    if data is None:
        return None
    known = [f.name for f in fields(GeneratorSettings)]
    if not isinstance(data, dict) or not set(data) <= set(known):
        raise SettingError("weights generator", _shown(data), f"must be an object of {', '.join(known)} or null "
                           f"(in {path.name})")
    try:
        return GeneratorSettings(**data)
    except SettingError as exc:
        raise SettingError(f"weights generator {exc.field}", exc.value, f"{exc.allowed} (in {path.name})") from None


def _dataset_name(meta: dict, path: Path) -> str | None:
    name = meta.get("dataset")
    if name is None or name == "":
        return None
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise SettingError("weights dataset", _shown(name), f"must be a name on one line of at most {MAX_NAME_CHARS} "
                           f"characters, or null (in {path.name})")
    return name


def _count(meta: dict, key: str, path: Path) -> int:
    value = meta.get(key, 0)
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        raise SettingError(f"weights {key}", _shown(value), f"must be a whole number >= 0 (in {path.name})")
    return value


def _metrics(meta: dict, path: Path) -> dict:
    metrics = meta.get("metrics")
    if metrics is None:
        return {}
    valid = isinstance(metrics, dict) and all(
        value is None or (isinstance(value, int | float) and not isinstance(value, bool)) for value in metrics.values())
    if not valid:
        raise SettingError("weights metrics", _shown(metrics),
                           f"must be an object of names and numbers (or null) (in {path.name})")
    return {name: _finite_or_none(value) for name, value in metrics.items()}


def _input_scaling(arrays: dict, d: int, path: Path):
    mean, std = arrays.get("input_mean"), arrays.get("input_std")
    if mean is None and std is None:
        return None, None
    valid = (mean is not None and std is not None and mean.shape == (d,) and std.shape == (d,)
             and np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all())
    if not valid:
        shown = {"mean": None if mean is None else mean.tolist(), "std": None if std is None else std.tolist()}
        raise SettingError("weights input_scaling", _shown(shown),
                           f"needs a finite mean and a finite std > 0 for each of {d} inputs (in {path.name})")
    return mean, std


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
    for name, array in (("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2)):
        if array is not None and not np.isfinite(array).all():
            raise SettingError(f"weights {name}", "not finite", f"every value must be a finite number (in {path.name})")
    return Params.from_arrays(W1, b1, W2, b2)


def _check_suffix(path: Path, suffixes: tuple[str, ...]) -> None:
    if path.suffix.lower() not in suffixes:
        raise SettingError("weights file", str(path), f"must end in {' or '.join(suffixes)}")


def _finite_or_none(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _shown(value, limit: int = 60):
    """A value for a one-line message: itself when short, else the start of its repr."""
    text = repr(value)
    return value if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- writing --------------------------------------------------------------------------------------------
def check_export_path(path) -> None:
    """Raise a SettingError naming the path as given unless a weights file can be written there: checked
    before a long run, by creating (and removing) a temporary file in its folder."""
    given = str(path)
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise SettingError("export", given, f"must end in {' or '.join(SUFFIXES)}")
    _check_place(path, given)
    try:
        fd, tmp = _open_temporary(path)
    except OSError as exc:
        raise SettingError("export", given, f"cannot be written: {exc.strerror or exc}") from None
    os.close(fd)
    tmp.unlink(missing_ok=True)


def write_text_atomic(path, text: str) -> Path:
    path = Path(path)
    write_bytes_atomic(path, text.encode())
    return path


def _check_place(path: Path, given: str) -> None:
    """The path is not a folder, and its folder is one."""
    if path.is_dir():
        raise SettingError("export", given, "is a folder: give a file name")
    folder = _folder(path)
    for ancestor in (folder, *folder.parents):
        if ancestor.is_dir():
            break
        if ancestor.exists():
            raise SettingError("export", given, f"{ancestor} is not a folder")
    if not folder.is_dir():
        raise SettingError("export", given, "its folder does not exist")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside path, then rename it over path: the file is whole or untouched.
    Errors name the path as given, never the temporary file."""
    write_atomic(path, lambda handle: handle.write(data))


def write_atomic(path: Path, fill, field: str = "export") -> None:
    """fill(handle) writes a temporary file beside ``path``, which then replaces it: the file is whole or as it
    was (a new file gets the usual permissions, a replaced one keeps its mode). Errors are SettingError(field,
    the path as given, why), never naming the temporary file."""
    given = str(path)
    try:
        _check_place(path, given)
    except SettingError as exc:
        raise SettingError(field, given, exc.allowed) from None
    mode = _existing_mode(path)
    try:
        fd, tmp = _open_temporary(path)
    except OSError as exc:
        raise SettingError(field, given, f"cannot be written: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise SettingError(field, given, f"cannot be written: {exc.strerror or exc}") from None
        raise


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the regular file at path, to keep when it is replaced; None if there is none."""
    try:
        info = path.stat()
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def _open_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file beside path, created with mode 0666 so that the umask sets its permissions as for
    any new file (tempfile.mkstemp would make it 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = _folder(path) / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(17, "could not create a temporary file", str(_folder(path)))


# --- the loss history -----------------------------------------------------------------------------------
def history_csv_text(history: dict, names, classification: bool) -> str:
    """The recorded history as CSV text: a header row, then one row per recorded epoch.

    ``history`` is Trainer.snapshot().history: "epoch", model.history.COLUMNS and "params" (rows x the
    parameters recorded), whose columns ``names`` names (e.g. model.network.param_names, or the part of it
    that was recorded). Columns: epoch, train_loss, test_loss, train_accuracy and test_accuracy (train_r2 and
    test_r2 for a regression), then one per parameter. Numbers are written with repr, so they read back to the
    same float64. A test column with no number at all is left out (no test set, or the R^2 of a constant test
    target); any other missing number (R^2 of constant targets) is an empty cell.
    """
    names = list(names)
    params = np.asarray(history["params"], dtype=np.float64)  # (rows, recorded parameters)
    if len(names) != params.shape[1]:
        raise ValueError(f"{len(names)} parameter names for {params.shape[1]} recorded parameter columns")
    metric = "accuracy" if classification else "r2"
    headers = {"train_loss": "train_loss", "test_loss": "test_loss", "metric": f"train_{metric}",
               "test_metric": f"test_{metric}"}
    kept = [key for key in COLUMNS
            if not (key.startswith("test") and np.isnan(np.asarray(history[key], dtype=np.float64)).all())]
    rows = np.column_stack([np.asarray(history[key], dtype=np.float64) for key in kept] + [params]).tolist()
    lines = [",".join(["epoch", *(headers[key] for key in kept), *names])]
    lines += [",".join([str(int(epoch)), *map(_cell, row)]) for epoch, row in zip(history["epoch"], rows, strict=True)]
    return "\n".join(lines) + "\n"


def _cell(value: float) -> str:
    return repr(value) if value == value else ""  # NaN (the only value unequal to itself): an empty cell
