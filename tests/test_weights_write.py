"""Writing weights files: the usual permissions, an existing file's mode kept, nothing half-written, errors
naming the path the user gave."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from model import weights_io
from model.config import SettingError, TrainConfig
from model.network import Params
from model.weights_io import check_export_path, load_weights, save_weights, write_text_atomic

CONFIG = TrainConfig(hidden=3)


def _params(seed=0):
    return Params(2, 3, np.random.RandomState(seed).standard_normal(13))


@pytest.fixture
def umask():
    """Set the process umask for one test, then put the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o000, 0o666)])
def test_a_new_file_gets_the_umask_permissions(tmp_path, umask, suffix, mask, mode):
    umask(mask)
    path = save_weights(tmp_path / f"w{suffix}", _params(), CONFIG)
    assert _mode(path) == mode
    assert _mode(write_text_atomic(tmp_path / "history.csv", "epoch\n")) == mode


@pytest.mark.parametrize("old_mode", [0o644, 0o600, 0o604, 0o660])
def test_replacing_a_file_keeps_its_mode(tmp_path, umask, old_mode):
    umask(0o077)
    path = tmp_path / "w.npz"
    save_weights(path, _params(1), CONFIG)
    path.chmod(old_mode)
    save_weights(path, _params(2), CONFIG)
    assert _mode(path) == old_mode
    np.testing.assert_array_equal(load_weights(path).params.theta, _params(2).theta)


def test_a_failed_rename_keeps_the_old_file_leaves_no_temporary_and_names_the_path(tmp_path, monkeypatch):
    path = tmp_path / "w.json"
    save_weights(path, _params(1), CONFIG)
    before = path.read_bytes()

    def no_space(src, dst):
        raise OSError(28, "No space left on device", str(src))

    monkeypatch.setattr(weights_io.os, "replace", no_space)
    with pytest.raises(SettingError) as error:
        save_weights(path, _params(2), CONFIG)
    assert str(error.value) == f"export = '{path}': cannot be written: No space left on device"
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.json"]


def test_a_failed_write_of_the_data_leaves_no_temporary(tmp_path, monkeypatch):
    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(weights_io.os, "fsync", broken_fsync)
    with pytest.raises(SettingError, match="cannot be written: Input/output error"):
        save_weights(tmp_path / "w.npz", _params(), CONFIG)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "given", "message"),
    [
        (lambda tmp: None, "missing/w.json", "its folder does not exist"),
        (lambda tmp: (tmp / "w.json").mkdir(), "w.json", "is a folder"),
        (lambda tmp: (tmp / "file").write_text(""), "file/w.json", "is not a folder"),
        (lambda tmp: None, "w.txt", "must end in .npz or .json"),
    ],
)
def test_check_export_path_names_the_path_as_given(tmp_path, monkeypatch, make, given, message):
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    with pytest.raises(SettingError) as error:
        check_export_path(given)
    assert str(error.value).startswith(f"export = '{given}': ") and message in str(error.value)
    assert sorted(os.listdir(tmp_path)) == sorted({"w.json": ["w.json"], "file/w.json": ["file"]}.get(given, []))


def test_check_export_path_leaves_nothing_behind(tmp_path):
    check_export_path(tmp_path / "w.npz")
    assert os.listdir(tmp_path) == []
