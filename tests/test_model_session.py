"""Sessions: a run saved and reopened goes on bit for bit as if it had never stopped, in every mode and on each
path; its past replays as before; a damaged, foreign or newer file is refused with one line.

Every expectation is an independent run that never stopped (or the file as saved), never another reopened one.
The history's capacity is the smallest (64 rows), so the stride doubles between saving and the end.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import zipfile

import numpy as np
import pytest
from test_model_replay import _edited_run  # the replay tests' run with edits, and how it steps
from test_model_splits import _config, _data  # the split tests' small run: 7 rows, 3 test rows

from model import kernel, replay
from model.config import SettingError, TrainConfig
from model.datasets import Dataset, load_dataset, make_dataset
from model.generators import GeneratorSettings
from model.history import MIN_CAPACITY
from model.session import DATASET_ARRAYS, DATASET_FACTS, load_session, save_session
from model.trainer import Trainer
from model.weights_io import save_weights

MODES = [("sample", 1), ("random_sample", 1), ("minibatch", 3), ("full", 7)]  # 3 does not divide the 7 rows
N = 100  # epochs before saving and after: the stride is 2 at N and 4 at 2N


def _trainer(mode, batch_size, path=None, block=None, data=None, **changes):
    trainer = Trainer(_config(mode, batch_size, **changes), data or _data(), history_capacity=MIN_CAPACITY)
    if path is not None:
        assert trainer.prepare_compiled() == (path == "compiled")  # the path under test is the one taken
    if block is not None:
        trainer.row_block = block  # rows per block order a batch's sums: runs compared share it
    return trainer


def _reopened(trainer, tmp_path, **extras):
    return load_session(save_session(tmp_path / "run.session.npz", trainer, **extras)).trainer


def _same_record(ra, rb):
    assert (ra is None) == (rb is None)
    if ra is not None:
        for field in dataclasses.fields(ra):
            np.testing.assert_array_equal(getattr(ra, field.name), getattr(rb, field.name), err_msg=field.name)


def _same_run(a: Trainer, b: Trainer, history=True):
    """The same state, bit for bit: what the views show and what training goes on from (``history``: and the
    same history rows; a replayed state keeps them at its run's resolution)."""
    np.testing.assert_array_equal(a.params.theta, b.params.theta)
    assert (a.epoch, a.updates, a.position, a.config, a.diverged) == (b.epoch, b.updates, b.position, b.config,
                                                                      b.diverged)
    if a.position:
        np.testing.assert_array_equal(a.order, b.order)
    sa, sb = a.rng.get_state(), b.rng.get_state()
    np.testing.assert_array_equal(sa[1], sb[1])
    assert sa[0] == sb[0] and sa[2:] == sb[2:]
    np.testing.assert_equal(a.last_epoch, b.last_epoch)
    _same_record(a.last_update(), b.last_update())
    assert a.events == b.events
    if not history:
        return
    ha, hb = a.history.filled(), b.history.filled()
    assert a.history.stride == b.history.stride and ha.keys() == hb.keys()
    for key in ha:
        np.testing.assert_array_equal(ha[key], hb[key], err_msg=key)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_n_epochs_saved_reopened_and_n_more_equal_2n_in_one_go(path, tmp_path, mode, batch_size):
    straight = _trainer(mode, batch_size, path)
    straight.run(2 * N)
    half = _trainer(mode, batch_size, path)
    half.run(N)
    reopened = _reopened(half, tmp_path)
    _same_run(reopened, half)
    reopened.run(N)
    assert straight.history.stride == 4 and half.history.stride == 2  # the doubling came after the save
    _same_run(reopened, straight)


@pytest.mark.parametrize(("mode", "batch_size"), [m for m in MODES if m[0] != "full"])  # full: 1 update an epoch
def test_a_session_saved_mid_epoch_finishes_that_epoch_as_the_run_would(path, tmp_path, mode, batch_size):
    straight = _trainer(mode, batch_size, path, block=2)
    straight.run(2 * N)
    half = _trainer(mode, batch_size, path, block=2)
    half.run(N - 1)
    for _ in range(2):
        half.step_update()
    reopened = _reopened(half, tmp_path)
    assert reopened.position == 2 and reopened.row_block == 2
    _same_run(reopened, half)
    reopened.run(2 * N - reopened.epoch)
    _same_run(reopened, straight)


@pytest.mark.parametrize(("mode", "batch_size"), MODES)
def test_a_reopened_run_replays_its_past_with_its_edits(path, tmp_path, mode, batch_size):
    upe = _trainer(mode, batch_size).updates_per_epoch
    end = 130 * upe
    reopened = _reopened(_edited_run(mode, batch_size, path, end), tmp_path)
    assert [event.update for event in reopened.events] == [24 * upe, 24 * upe, 60 * upe + 1, 61 * upe + 2]
    for update in (0, 24 * upe, 24 * upe + 1, 37 * upe, 60 * upe + 2, 64 * upe, 100 * upe + 1, end):
        if update % upe == 0 or upe > 1:
            _same_run(reopened.state_after(update), _edited_run(mode, batch_size, path, update), history=False)
    np.testing.assert_array_equal(reopened.theta_at_epoch(0), _trainer(mode, batch_size).params.theta)


def _mixed(numpy_epochs, compiled_epochs, monkeypatch):
    """A run of ``numpy_epochs`` on the NumPy path (as before the compiled loop is ready), then
    ``compiled_epochs`` on the compiled loop."""
    trainer = _trainer("minibatch", 3)
    monkeypatch.setattr(kernel, "enabled", False)
    trainer.run(numpy_epochs)
    monkeypatch.setattr(kernel, "enabled", True)
    trainer.run(compiled_epochs)
    return trainer


def test_a_reopened_run_replays_each_update_on_the_path_it_first_took(tmp_path, monkeypatch):
    if not kernel.warm_up():
        pytest.skip(kernel.unavailable_reason())
    reopened = _reopened(_mixed(10, 20, monkeypatch), tmp_path)
    for epoch in (5, 20):  # the compiled loop is ready: the first 10 epochs must not take it
        _same_run(reopened.state_at_epoch(epoch), _mixed(min(epoch, 10), max(0, epoch - 10), monkeypatch),
                  history=False)


def test_a_diverged_run_stays_diverged_and_says_where(tmp_path):
    config = TrainConfig(hidden=4, activation="linear", output="linear", loss="squared", lr=10.0, mode="minibatch",
                         batch_size=3, init="ones")
    trainer = Trainer(config, load_dataset("xor"))
    assert trainer.run(1000).stopped_by == "diverged"
    trainer.set_learning_rate(0.01)  # after the divergence: the message keeps the rate it diverged at
    reopened = _reopened(trainer, tmp_path)
    assert reopened.diverged.message == trainer.diverged.message
    assert reopened.run(10).stopped_by == "diverged"
    _same_run(reopened, trainer)


def test_the_views_see_the_same_snapshot(tmp_path):
    trainer = _trainer("random_sample", 1)
    trainer.run(N)
    trainer.step_update()
    a, b = trainer.snapshot(), _reopened(trainer, tmp_path).snapshot()
    _same_record(a.last_update, b.last_update)
    for field in dataclasses.fields(a):
        if field.name != "last_update":
            np.testing.assert_equal(getattr(a, field.name), getattr(b, field.name), err_msg=field.name)


def test_a_state_copied_in_one_thread_is_written_as_it_was_then(tmp_path):
    # Autosave: the training thread copies the state between steps and goes on; another thread writes the copy.
    trainer = _trainer("minibatch", 3)
    trainer.run(30)
    state = trainer.export_state()
    trainer.run(30)
    trainer.set_parameter(0, 1.0)
    saved = load_session(save_session(tmp_path / "auto.session.npz", state)).trainer
    at_copy = _trainer("minibatch", 3)
    at_copy.run(30)
    _same_run(saved, at_copy)


def test_every_dataset_field_is_kept(tmp_path):
    assert {f.name for f in dataclasses.fields(Dataset)} == {*DATASET_ARRAYS, *DATASET_FACTS}  # none forgotten
    rng = np.random.RandomState(3)
    X = rng.normal(size=(9, 2))
    data = make_dataset("csv:two.csv", X, [2.0, 5.0, 2.0, 5.0, 5.0, 2.0, 2.0, 5.0, 5.0], X[:2], [5.0, 2.0],
                        feature_names=["a", "b"], description="two classes", task="classification",
                        input_mean=np.array([1.0, 2.0]), input_std=np.array([0.5, 3.0]),
                        generator=GeneratorSettings(samples=11, noise=0.25))
    loaded = _reopened(_trainer("full", 1, data=data), tmp_path).dataset
    for field in dataclasses.fields(Dataset):
        np.testing.assert_equal(getattr(loaded, field.name), getattr(data, field.name), err_msg=field.name)
    assert loaded.class_values == (2.0, 5.0) and not loaded.X.flags.writeable and loaded.X.flags.c_contiguous


def test_the_windows_weights_facts_and_arrays_come_back(tmp_path):
    trainer = _trainer("sample", 1)
    theta = np.linspace(-1, 1, trainer.layout.size)
    extra = {"dataset_key": "d", "max_epochs": 500, "pinned": [{"name": "Run 1", "color": "#1f77b4"}]}
    arrays = {"pinned_0_epochs": np.arange(5.0), "pinned_0_thumbnail": np.arange(64, dtype=np.uint8).reshape(4, 4, 4),
              "pinned_0_shown": np.array([True, False]), "every_other": np.arange(12.0).reshape(3, 4)[:, ::2]}
    session = load_session(save_session(tmp_path / "w.session.npz", trainer, initial_theta=theta, extra=extra,
                                        extra_arrays=arrays))
    np.testing.assert_array_equal(session.initial_theta, theta)
    assert session.extra == extra and session.extra_arrays.keys() == arrays.keys()
    for name, array in arrays.items():
        np.testing.assert_array_equal(session.extra_arrays[name], array)
        assert session.extra_arrays[name].dtype == array.dtype
    assert load_session(save_session(tmp_path / "bare.session.npz", trainer)).initial_theta is None


@pytest.mark.parametrize(("changes", "field"), [
    (dict(extra={"x": float("nan")}), "session extra"),
    (dict(extra={"x": object()}), "session extra"),
    (dict(extra=[1]), "session extra"),
    (dict(extra_arrays={"a/b": np.zeros(2)}), "session extra array"),
    (dict(extra_arrays={"x": np.array([None])}), "session extra array x"),
    (dict(initial_theta=np.zeros(3)), "initial_theta"),
])
def test_what_cannot_be_written_is_refused_before_the_file_is_touched(tmp_path, changes, field):
    trainer = _trainer("sample", 1)
    path = save_session(tmp_path / "run.session.npz", trainer)
    before = path.read_bytes()
    with pytest.raises(SettingError) as error:
        save_session(path, trainer, **changes)
    assert error.value.field == field and "\n" not in str(error.value)
    assert path.read_bytes() == before


def test_a_write_that_fails_leaves_the_old_file_whole(tmp_path, monkeypatch):
    trainer = _trainer("minibatch", 3)
    path = save_session(tmp_path / "run.session.npz", trainer)
    before = path.read_bytes()
    trainer.run(5)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(SettingError) as error:
        save_session(path, trainer)
    assert str(error.value) == f"session = '{path}': cannot be written: No space left on device"
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["run.session.npz"]
    with pytest.raises(SettingError, match=r"must end in \.session\.npz"):
        save_session(tmp_path / "run.npz", trainer)


# --- the stream states rows keep (model/replay.py draw_below) -------------------------------------------------
@pytest.mark.parametrize("n", [1, 4, 7, 600])  # no draws; no rejections; rejections; key regenerations in an epoch
def test_samples_drawn_at_once_keep_the_states_a_randint_call_per_row_reads(path, monkeypatch, n):
    def run(fast):
        monkeypatch.setattr(replay, "FAST_DRAW_MIN_STATES", 1 if fast else 10**9)
        trainer = _trainer("random_sample", 1, path, data=_data(n=n))
        trainer.run(150)
        trainer.step_update()
        return trainer

    assert _trainer("random_sample", 1, data=_data(n=n))._stream.draws_fast  # the one-draw way is taken
    _same_run(run(fast=True), run(fast=False))


def test_draw_below_gives_randint_s_numbers_and_the_states_between():
    rng = np.random.RandomState(0)
    for n in (1, 2, 3, 5, 1000, 70_000):
        bits, reference = np.random.MT19937(), np.random.RandomState(0)
        stream, skipped = np.random.RandomState(bits), int(rng.randint(0, 700))
        for generator in (stream, reference):
            generator.seed(n)
            generator.standard_normal(skipped)  # anywhere in the key
        ends = np.cumsum(rng.randint(0, 2 * n, size=20))
        out = np.empty(int(ends[-1]) + n, dtype=np.int64)
        states = replay.StreamReader(bits).draw_below(n, out, ends)
        expected = []
        for size, state in zip(np.diff(ends, prepend=0), states, strict=True):
            expected.append(reference.randint(0, n, size=size))
            np.testing.assert_array_equal(state, replay.stream_words(reference.get_state()))
        expected.append(reference.randint(0, n, size=n))
        np.testing.assert_array_equal(out, np.concatenate(expected))
        assert replay.stream_words(stream.get_state()).tolist() == replay.stream_words(reference.get_state()).tolist()


# --- bad files ------------------------------------------------------------------------------------------
def _refused(path, *words):
    """load_session(path) raises one line naming the file, with ``words`` in it."""
    with pytest.raises(SettingError) as error:
        load_session(path)
    message = str(error.value)
    assert error.value.field == "session" and error.value.value == path.name and "\n" not in message, message
    for word in words:
        assert word in message, message
    return message


def _saved(tmp_path, name="good.session.npz"):
    trainer = _trainer("random_sample", 1, data=_data())
    trainer.run(70)
    trainer.step_update()
    trainer.set_parameter(2, 0.5)
    return save_session(tmp_path / name, trainer, extra={"k": 1}, extra_arrays={"a": np.arange(3.0)})


def _members(path) -> tuple[dict, dict]:
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    return json.loads(str(arrays.pop("meta"))), arrays


def _rewritten(path, meta=None, arrays=None, name="bad.session.npz"):
    """The session at ``path`` written again with numpy, after ``meta(meta)`` and ``arrays(arrays)`` changed it."""
    stored_meta, stored = _members(path)
    (meta or (lambda m: None))(stored_meta)
    (arrays or (lambda a: None))(stored)
    out = path.with_name(name)
    np.savez(out, meta=np.array(json.dumps(stored_meta)), **stored)
    return out


class _Unpickled:
    """Records being unpickled: the loader must never do it."""

    seen: list = []  # noqa: RUF012

    def __reduce__(self):
        return _Unpickled.seen.append, ("unpickled",)


def test_a_damaged_file_is_refused_with_one_line(tmp_path):
    path = _saved(tmp_path)
    data = path.read_bytes()
    good = load_session(path).trainer
    cut = tmp_path / "cut.session.npz"
    for size in (0, 10, len(data) // 3, len(data) - 200, len(data) - 1):
        cut.write_bytes(data[:size])
        _refused(cut)
    flipped = tmp_path / "flipped.session.npz"
    rng = np.random.RandomState(0)
    directory = data.rfind(b"PK\x01\x02")  # the zip's own records at the end: every byte of them
    for at in sorted({*rng.randint(0, directory, 300).tolist(), *range(directory - 2000, len(data))}):
        flipped.write_bytes(data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :])
        try:
            _same_run(load_session(flipped).trainer, good)  # a byte nothing reads (a time stamp): the same run
        except SettingError as error:
            assert error.field == "session" and "\n" not in str(error), str(error)


def test_foreign_newer_and_incomplete_files_are_refused_with_one_line(tmp_path):
    path = _saved(tmp_path)
    noise = tmp_path / "noise.session.npz"
    noise.write_bytes(np.random.RandomState(1).bytes(5000))
    _refused(noise, "not a perceptron-playground-session file")
    trainer = load_session(path).trainer
    weights = save_weights(tmp_path / "w.npz", trainer.params, trainer.config)
    _refused(weights, "it is a 'perceptron-playground-weights' file")
    text_zip = tmp_path / "text.session.npz"
    with zipfile.ZipFile(text_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    _refused(text_zip, "no meta member")
    _refused(_rewritten(path, meta=lambda m: m.update(version=2)), "version 2", "newer")
    _refused(_rewritten(path, arrays=lambda a: a.pop("trainer/theta")), "theta", "missing")
    _refused(_rewritten(path, arrays=lambda a: a.update(stray=np.zeros(2))), "'stray.npy'")
    _refused(tmp_path / "absent.session.npz", "no such file")
    (tmp_path / "folder.session.npz").mkdir()
    _refused(tmp_path / "folder.session.npz", "is a folder")


def test_a_pickle_inside_is_refused_and_never_unpickled(tmp_path):
    path = _saved(tmp_path)
    stored_meta, stored = _members(path)
    for member in ("trainer/theta", "extra/a"):
        out = tmp_path / "pickle.session.npz"
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(stored_meta)), **{**stored, member: np.array([_Unpickled()])})
        out.write_bytes(buffer.getvalue())
        _refused(out, member, "must hold numbers")
    assert _Unpickled.seen == []


def test_a_compressed_or_oversized_member_is_refused_before_it_is_unpacked(tmp_path):
    path = _saved(tmp_path)
    stored_meta, stored = _members(path)
    packed = tmp_path / "packed.session.npz"
    np.savez_compressed(packed, meta=np.array(json.dumps(stored_meta)), **stored)
    _refused(packed, "compressed member")
    # a member whose header claims 10^12 values: refused from the header, nothing allocated
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    big = tmp_path / "big.session.npz"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(big, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "trainer/theta.npy":
                data = b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + data[-16:]
            archive.writestr(info.filename, data)
    _refused(big, "trainer/theta.npy", "larger than")


def _set_fact(name, value):
    return lambda meta: meta["trainer"].update({name: value})


def _set_array(name, change):
    def edit(arrays):
        array = arrays[name].copy()
        arrays[name] = change(array)

    return edit


def _put(index, value):
    def change(array):
        array.flat[index] = value
        return array

    return change


@pytest.mark.parametrize(("meta", "arrays", "words"), [
    (_set_fact("epoch", 71), None, "updates"),
    (_set_fact("position", 7), None, "position"),
    (_set_fact("history_stride", 3), None, "history_stride"),
    (_set_fact("history_capacity", 65), None, "history_capacity"),
    (_set_fact("stream_gauss", [2, 0.0]), None, "stream gauss"),
    (_set_fact("last_update", {"lr": 0.3}), None, "last_update"),
    (_set_fact("surprise", 1), None, "surprise"),
    (lambda m: m["config"].update(hidden=4), None, "theta"),
    (lambda m: m["config"].update(lr=-1), None, "lr"),
    (lambda m: m["dataset"].update(task="clustering"), None, "task"),
    (lambda m: m["dataset"].update(feature_names=["x1"]), None, "feature_names"),
    (lambda m: m.update(extra=[1]), None, "extra"),
    (None, _set_array("dataset/y", _put(0, 2.0)), "dataset/y"),
    (None, _set_array("dataset/X", _put(3, np.inf)), "dataset/X"),
    (None, lambda a: a.pop("dataset/y_test"), "dataset/y_test"),
    (None, _set_array("trainer/theta", _put(0, np.nan)), "theta"),
    (None, _set_array("trainer/theta", lambda t: t.astype(np.float32)), "theta"),
    (None, _set_array("trainer/order", _put(0, 7)), "order"),
    (None, _set_array("trainer/stream", _put(-1, 700)), "stream position"),
    (None, _set_array("trainer/history_epoch", _put(1, 3)), "history_epoch"),
    (None, _set_array("trainer/history_params", _put(5, np.inf)), "history_params"),
    (None, _set_array("trainer/history_states", lambda s: s[1:]), "history_states"),
    (None, _set_array("trainer/event_index", _put(0, 99)), "event_index"),
    (None, _set_array("trainer/event_update", _put(0, 10**9)), "event_update"),
    (None, _set_array("trainer/last_samples", _put(0, -1)), "last_samples"),
    (None, lambda a: a.update({"trainer/drawn_epochs": np.array([5]),
                               "trainer/drawn_states": a["trainer/stream"][None]}), "drawn_epochs"),
    (None, _set_array("trainer/paths", _put(1, 2)), "paths"),
    (None, lambda a: a.update({"initial_theta": np.zeros(3)}), "initial_theta"),
])
def test_a_file_whose_fields_do_not_fit_is_refused_naming_the_field(tmp_path, meta, arrays, words):
    _refused(_rewritten(_saved(tmp_path), meta, arrays), "is damaged", words)
