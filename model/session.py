"""Sessions: one file holding a whole run, so that a reopened one shows the same plots and trains on bit for bit
as if it had never stopped: the settings, the dataset, the parameters (now and at epoch 0), the history, the
random stream's state, the log of edits and everything else the trainer keeps (model/trainer.py TrainerState),
and the window's own facts and arrays (pinned runs, the dataset's key, max epochs...).

The format, "perceptron-playground-session" version 1: a file named ``<name>.session.npz``, a ZIP archive of
.npy members as numpy.savez writes it, uncompressed (a 10^6-row dataset opens in a fraction of a second; its
numbers would hardly compress), so ``numpy.load(path, allow_pickle=False)`` reads it too. Members:

    meta.npy                   a 0-d unicode string: the JSON object below
    dataset/X.npy, y.npy       (n, d) inputs and (n, 1) targets, float64, as trained on (standardised inputs,
                               a classification's targets as 0 and 1)
    dataset/X_test.npy, y_test.npy            the test split, (n_test, d) and (n_test, 1): when there is one
    dataset/input_mean.npy, input_std.npy     (d,): a standardised CSV's scaling, when there is one
    trainer/<key>.npy          TrainerState.arrays (model/trainer.py lists each key with its shape)
    initial_theta.npy          (P,) float64 weights the window keeps beside the run: when it gave them
    extra/<name>.npy           the window's own arrays: numbers (bool, integer or float) of any shape

meta:
    format, version            "perceptron-playground-session", 1
    config                     TrainConfig.as_dict(): the settings in force (lr: the present rate)
    dataset                    the Dataset's other fields: name, task, feature_names, description, task_chosen,
                               class_values ([class 0, class 1] or null), generator (GeneratorSettings or null)
    trainer                    TrainerState.facts
    extra                      the window's own JSON object

A reader refuses any other version (a change a version-1 reader would misread makes a version 2). Reads trust
nothing: every member must be an uncompressed .npy of numbers (the meta string aside) under a known name, its
header is read before its data (so a member never unpacks to more than the file holds, and nothing is ever
unpickled), its CRC is checked, and every field is checked against the settings and the dataset
(Trainer.from_state, History.from_filled). Any problem is SettingError("session", file name, reason), one line;
nothing else changes. Writes are atomic (a temporary file renamed over the old one, as weights_io's): the file
is whole or as it was.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from model.config import MAX_INPUTS, SettingError, TrainConfig
from model.datasets import TASKS, Dataset
from model.generators import GeneratorSettings
from model.network import Layout
from model.replay import stored_array
from model.trainer import Trainer, TrainerState
from model.weights_io import _UNREADABLE, _npy_header, _one_line, write_atomic

FORMAT = "perceptron-playground-session"
VERSION = 1
SUFFIX = ".session.npz"
META_KEYS = ("format", "version", "config", "dataset", "trainer", "extra")
MAX_META_CHARS = 1_000_000
# The Dataset's fields: arrays are members "dataset/<field>", the others go into meta's "dataset" object.
DATASET_ARRAYS = ("X", "y", "X_test", "y_test", "input_mean", "input_std")
DATASET_FACTS = ("name", "task", "feature_names", "description", "task_chosen", "class_values", "generator")
EXTRA_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")  # extra/<name>: a plain file name inside the archive
NUMBER_KINDS = "biuf"  # the dtypes a member may have (meta aside): no objects, so nothing is ever unpickled


@dataclass(frozen=True)
class Session:
    """A reopened session: the run, and what the window saved beside it."""

    trainer: Trainer
    initial_theta: np.ndarray | None  # (P,) as given to save_session, or None
    extra: dict  # the window's JSON object
    extra_arrays: dict[str, np.ndarray]  # the window's arrays, read-only


# --- writing --------------------------------------------------------------------------------------------
def save_session(path, run: Trainer | TrainerState, *, initial_theta=None, extra: dict | None = None,
                 extra_arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write the run to ``path`` (ending in SUFFIX), atomically. ``run`` is a trainer, or the state a training
    thread copied (Trainer.export_state) for another thread to write; ``extra`` is a JSON object and
    ``extra_arrays`` maps names (letters, digits, _ . -) to arrays of numbers. SettingError for a path, or an
    extra, that cannot be written."""
    path = Path(path)
    if not path.name.lower().endswith(SUFFIX):
        raise SettingError("session", str(path), f"must end in {SUFFIX}")
    state = run.export_state() if isinstance(run, Trainer) else run
    arrays = {**_dataset_arrays(state.dataset), **{f"trainer/{key}": a for key, a in state.arrays.items()},
              **_extra_arrays(extra_arrays)}
    if initial_theta is not None:
        size = Layout(state.dataset.n_inputs, state.config.hidden).size
        arrays["initial_theta"] = stored_array({"initial_theta": np.asarray(initial_theta, dtype=np.float64)},
                                               "initial_theta", np.float64, (size,), finite=True)
    meta = _meta_text(state, extra)
    write_atomic(path, lambda handle: _write_npz(handle, {"meta": np.array(meta), **arrays}), "session")
    return path


def _write_npz(handle, arrays: dict[str, np.ndarray]) -> None:
    """The archive numpy.savez writes, each array written from its own memory: no copy is made, and the GIL is
    free while it is checksummed and written, so that an autosave in another thread hardly slows training
    (numpy.savez into memory held the GIL for most of the write: bench/session.py)."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            array = array if array.flags.c_contiguous else array.copy(order="C")
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array_header_1_0(member, np.lib.format.header_data_from_array_1_0(array))
                member.write(memoryview(array).cast("B") if array.ndim and array.size else array.tobytes())


def _meta_text(state: TrainerState, extra: dict | None) -> str:
    dataset = state.dataset
    facts = {name: getattr(dataset, name) for name in DATASET_FACTS}
    facts.update(feature_names=list(dataset.feature_names),
                 class_values=None if dataset.class_values is None else list(dataset.class_values),
                 generator=None if dataset.generator is None else dataset.generator.as_dict())
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        raise SettingError("session extra", type(extra).__name__, "must be a dict (a JSON object)")
    meta = dict(zip(META_KEYS, (FORMAT, VERSION, state.config.as_dict(), facts, state.facts, extra), strict=True))
    try:
        return json.dumps(meta, allow_nan=False)
    except (TypeError, ValueError) as exc:  # the trainer's facts are JSON by construction: the extra is not
        raise SettingError("session extra", _one_line(exc, 80), "must hold only JSON values (dicts with string "
                           "keys, lists, strings, finite numbers, booleans, None)") from None


def _dataset_arrays(dataset: Dataset) -> dict[str, np.ndarray]:
    return {f"dataset/{name}": getattr(dataset, name) for name in DATASET_ARRAYS if getattr(dataset, name) is not None}


def _extra_arrays(extra_arrays: dict | None) -> dict[str, np.ndarray]:
    stored = {}
    for name, array in (extra_arrays or {}).items():
        array = np.asarray(array)
        if not isinstance(name, str) or not EXTRA_NAME.fullmatch(name):
            raise SettingError("session extra array", name, "must be named with 1 to 100 letters, digits, _ . -")
        if array.dtype.kind not in NUMBER_KINDS or array.dtype.fields is not None:
            raise SettingError(f"session extra array {name}", str(array.dtype), "must hold numbers (bool, integer "
                               "or float)")
        stored[f"extra/{name}"] = array
    return stored


# --- reading --------------------------------------------------------------------------------------------
def load_session(path) -> Session:
    """Read and check a session file; any problem is SettingError("session", file name, reason), one line."""
    path = Path(path)
    try:
        meta, arrays = _read(path)
        return _session(meta, arrays)
    except SettingError as exc:
        if exc.field == "session":
            raise
        raise SettingError("session", path.name, f"is damaged: {_one_line(exc, 300)}") from None
    except _UNREADABLE as exc:
        raise SettingError("session", path.name, f"cannot be read: {_one_line(exc)}") from None


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The meta object and every other member, checked to be a session file's."""
    if path.is_dir():
        raise SettingError("session", path.name, "is a folder, not a session file")
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise SettingError("session", path.name, "no such file") from None
    except OSError as exc:
        raise SettingError("session", path.name, f"cannot be read: {exc.strerror or exc}") from None
    except _UNREADABLE:
        raise SettingError("session", path.name, f"is not a {FORMAT} file (not a ZIP archive)") from None
    with archive:
        infos = archive.infolist()
        members = {info.filename: info for info in infos}
        if "meta.npy" not in members:
            raise SettingError("session", path.name, f"is not a {FORMAT} file (it has no meta member)")
        meta = _meta(_member(archive, members.pop("meta.npy")), path)
        if len(members) != len(infos) - 1:
            raise SettingError("session", path.name, "has two members of one name")
        for name, info in members.items():
            if not _known(name):
                raise SettingError("session", path.name, f"has a member {name[:80]!r} a session file does not hold")
            if info.compress_type != zipfile.ZIP_STORED:
                raise SettingError("session", path.name, f"has a compressed member {name!r}: a session file's "
                                   "members are stored")
        return meta, {name.removesuffix(".npy"): _member(archive, info) for name, info in members.items()}


def _known(filename: str) -> bool:
    """Whether a member of this name can be in a session file."""
    group, _, rest = filename.removesuffix(".npy").partition("/")
    return filename.endswith(".npy") and (
        (group == "initial_theta" and not rest) or (group == "dataset" and rest in DATASET_ARRAYS)
        or (group in ("trainer", "extra") and EXTRA_NAME.fullmatch(rest) is not None))


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One member's array, read-only: its header is checked before its data is read, and its CRC after."""
    name = info.filename
    with archive.open(info) as stream:
        shape, fortran_order, dtype = _npy_header(stream, name, Path(archive.filename or ""))
        text = name == "meta.npy" and dtype.kind == "U" and dtype.itemsize // 4 <= MAX_META_CHARS
        if not text and (dtype.kind not in NUMBER_KINDS or dtype.fields is not None or dtype.subdtype is not None):
            raise SettingError(name, str(dtype), "must hold numbers" if name != "meta.npy" else
                               f"must be a string of at most {MAX_META_CHARS:,} characters")
        size = math.prod(shape) * dtype.itemsize
        if size > info.file_size:
            raise SettingError(name, shape, f"is larger than the {info.file_size:,} bytes the member holds")
        raw = stream.read(size)
        if len(raw) < size or stream.read(1):  # reading to the end checks the CRC
            raise SettingError(name, shape, "does not hold what its header says")
    array = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    if not (array.flags.c_contiguous and array.flags.aligned):  # the compiled loop takes C order
        array = np.ascontiguousarray(array)
        array.flags.writeable = False
    return array


def _meta(array: np.ndarray, path: Path) -> dict:
    if array.dtype.kind != "U" or array.shape != ():
        raise SettingError("session", path.name, f"is not a {FORMAT} file (its meta is not a string)")
    try:
        meta = json.loads(str(array[()]))
    except (ValueError, RecursionError):
        raise SettingError("session", path.name, f"is not a {FORMAT} file (its meta is not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        other = meta.get("format") if isinstance(meta, dict) else None
        what = f" (it is a {other[:60]!r} file)" if isinstance(other, str) else ""
        raise SettingError("session", path.name, f"is not a {FORMAT} file{what}")
    version = meta.get("version")
    if type(version) is not int or version != VERSION:
        newer = type(version) is int and version > VERSION
        raise SettingError("session", path.name, f"is format version {str(version)[:20]}: this app reads version "
                           f"{VERSION}{' (the file comes from a newer app)' if newer else ''}")
    if set(meta) != set(META_KEYS):
        raise SettingError("meta", sorted(set(meta) ^ set(META_KEYS))[0], f"must hold just {', '.join(META_KEYS)}")
    return meta


def _session(meta: dict, arrays: dict[str, np.ndarray]) -> Session:
    """The run and the window's things, every field checked."""
    config = meta["config"]
    if not isinstance(config, dict):
        raise SettingError("config", config, "must be an object of settings")
    config = TrainConfig.from_dict(config)
    dataset = _dataset(meta["dataset"], arrays)
    state = TrainerState(config, dataset, meta["trainer"] if isinstance(meta["trainer"], dict) else {},
                         {key.removeprefix("trainer/"): a for key, a in arrays.items() if key.startswith("trainer/")})
    try:
        trainer = Trainer.from_state(state)
    except SettingError as exc:
        raise SettingError(f"trainer {exc.field}", exc.value, exc.allowed) from None
    initial = None
    if "initial_theta" in arrays:
        initial = stored_array(arrays, "initial_theta", np.float64, (trainer.layout.size,), finite=True)
    if not isinstance(meta["extra"], dict):
        raise SettingError("extra", meta["extra"], "must be an object")
    extra_arrays = {key.removeprefix("extra/"): a for key, a in arrays.items() if key.startswith("extra/")}
    return Session(trainer, initial, meta["extra"], extra_arrays)


def _dataset(facts: object, arrays: dict[str, np.ndarray]) -> Dataset:
    """The Dataset from meta's "dataset" object and the dataset/ members."""
    if not isinstance(facts, dict) or set(facts) != set(DATASET_FACTS):
        raise SettingError("dataset", facts if not isinstance(facts, dict) else sorted(facts),
                           f"must be an object of {', '.join(DATASET_FACTS)}")
    X = stored_array(arrays, "dataset/X", np.float64, (None, None), finite=True)
    n, d = X.shape
    if not (n >= 1 and 1 <= d <= MAX_INPUTS):
        raise SettingError("dataset/X", X.shape, f"must have rows and 1 to {MAX_INPUTS} columns")
    y = stored_array(arrays, "dataset/y", np.float64, (n, 1), finite=True)
    X_test = y_test = mean = std = None
    if "dataset/X_test" in arrays or "dataset/y_test" in arrays:
        X_test = stored_array(arrays, "dataset/X_test", np.float64, (None, d), finite=True)
        if not len(X_test):
            raise SettingError("dataset/X_test", X_test.shape, "must have rows (or be left out)")
        y_test = stored_array(arrays, "dataset/y_test", np.float64, (len(X_test), 1), finite=True)
    if "dataset/input_mean" in arrays or "dataset/input_std" in arrays:
        mean = stored_array(arrays, "dataset/input_mean", np.float64, (d,), finite=True)
        std = stored_array(arrays, "dataset/input_std", np.float64, (d,), finite=True)
        if not (std > 0).all():
            raise SettingError("dataset/input_std", std.tolist(), "must be > 0")
    task, chosen, classes = facts["task"], facts["task_chosen"], facts["class_values"]
    if task not in TASKS or chosen not in (None, *TASKS):
        raise SettingError("dataset task", [task, chosen], f"must be one of {', '.join(TASKS)} (chosen: or null)")
    if classes is not None:
        classes = _class_values(classes, task)
    if task == "classification" and not all(((t == 0) | (t == 1)).all() for t in (y, y_test) if t is not None):
        raise SettingError("dataset/y", "a value", "must be 0 or 1 in a classification")
    names = facts["feature_names"]
    if not isinstance(names, list) or len(names) != d or not all(isinstance(name, str) for name in names):
        raise SettingError("dataset feature_names", names, f"must be {d} names")
    for key in ("name", "description"):
        if not isinstance(facts[key], str):
            raise SettingError(f"dataset {key}", facts[key], "must be a string")
    return Dataset(facts["name"], X, y, X_test, y_test, task, tuple(names), facts["description"], input_mean=mean,
                   input_std=std, task_chosen=chosen, class_values=classes, generator=_generator(facts["generator"]))


def _class_values(values: object, task: str) -> tuple[float, float]:
    valid = (task == "classification" and isinstance(values, list) and len(values) == 2
             and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values)
             and values[0] < values[1])
    if not valid:
        raise SettingError("dataset class_values", values, "must be [class 0, class 1] (finite, increasing) of a "
                           "classification, or null")
    return float(values[0]), float(values[1])


def _generator(settings: object) -> GeneratorSettings | None:
    if settings is None:
        return None
    known = [f.name for f in fields(GeneratorSettings)]
    if not isinstance(settings, dict) or set(settings) != set(known):
        raise SettingError("dataset generator", settings, f"must be an object of {', '.join(known)}, or null")
    return GeneratorSettings(**settings)
