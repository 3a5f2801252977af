"""Arguments the CLI used to take silently, --export paths checked before training, and numbers printed with
significant digits."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None, umask=None):
    def set_umask():
        os.umask(umask)

    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=120, preexec_fn=None if umask is None else set_umask)


def one_line_error(run, *parts):
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and len(run.stderr.splitlines()) == 1, run.stderr
    for part in parts:
        assert part in run.stderr, run.stderr
    return run.stderr


# --- D: arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["--preset", "--dataset", "--csv", "--init-weights", "--export"])
def test_an_empty_name_is_an_error_not_xor(option):
    run = cli("train", option, "", "--epochs", "1", "--json")
    field = option.removeprefix("--")
    one_line_error(run, f"{field} = '': ")
    assert run.stdout == ""


def test_a_preset_with_a_csv_trains_the_presets_settings_on_the_csv(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    run = cli("train", "--preset", "notebook_001", "--csv", data, "--epochs", "3", "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["dataset"] == "csv:d.csv" and result["epochs"] == 3
    config = result["config"]
    assert (config["activation"], config["loss"], config["lr"], config["bias"], config["init"], config["seed"]) == (
        "relu", "half_squared", 0.001, False, "uniform", 40)
    assert config["preset"] == "notebook_001"


def test_standardize_needs_a_csv():
    one_line_error(cli("train", "--dataset", "xor", "--standardize"), "standardize", "--csv")
    one_line_error(cli("train", "--standardize"), "standardize")


@pytest.fixture(scope="module")
def xor_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "w.json"
    assert cli("train", "--dataset", "xor", "--epochs", "0", "--export", path).returncode == 0
    return path


@pytest.mark.parametrize(("value", "shown"), [("nan", "'nan'"), ("inf", "'inf'"), ("-inf", "'-inf'"),
                                              ("1e309", "'1e309'"), ("abc", "'abc'")])
def test_predict_refuses_inputs_that_are_not_finite_numbers(xor_weights, value, shown):
    run = cli("predict", "--weights", xor_weights, "0.5", value)
    one_line_error(run, f"x2 = {shown}: must be a finite number")
    assert run.stdout == ""


@pytest.mark.parametrize("negative", ["-0.25", "-1e-3", "-2", "-.5"])
def test_predict_takes_negative_numbers_as_inputs_not_options(xor_weights, negative):
    run = cli("predict", "--weights", xor_weights, negative, "0.5")
    assert run.returncode == 0 and run.stderr == ""
    assert float(run.stdout) == pytest.approx(float(cli("predict", "--weights", xor_weights, "--", negative,
                                                        "0.5").stdout))


def test_an_unknown_command_is_one_line_naming_it_and_the_commands():
    run = cli("trian")
    one_line_error(run, "'trian'", "train", "predict")
    assert run.stdout == ""


# --- E: --export ----------------------------------------------------------------------------------
LONG_RUN = ("train", "--dataset", "product", "--mode", "sample", "--epochs", "1000000")  # minutes if it trained


def export_refused(path_given, cwd=None):
    run = cli(*LONG_RUN, "--export", path_given, cwd=cwd)
    message = one_line_error(run, f"export = '{path_given}'")
    assert ".tmp" not in message and run.stdout == ""
    return message


def test_export_into_a_missing_folder_fails_before_training(tmp_path):
    assert "folder" in export_refused(str(tmp_path / "missing" / "w.json"))
    assert list(tmp_path.iterdir()) == []


def test_export_to_a_folder_fails_before_training(tmp_path):
    (tmp_path / "w.json").mkdir()
    assert "is a folder" in export_refused(str(tmp_path / "w.json"))
    assert [p.name for p in tmp_path.iterdir()] == ["w.json"] and list((tmp_path / "w.json").iterdir()) == []


def test_export_under_a_file_fails_before_training(tmp_path):
    (tmp_path / "plain").write_text("a file, not a folder")
    assert "not a folder" in export_refused(str(tmp_path / "plain" / "w.json"))


def test_export_given_relative_is_named_as_given(tmp_path):
    (tmp_path / "plain").write_text("")
    export_refused("plain/w.npz", cwd=tmp_path)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs: no one may create files there")
def test_export_into_a_folder_no_one_may_write_fails_before_training():
    assert "cannot be written" in export_refused("/sys/kernel/w.json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_export_into_a_read_only_folder_fails_before_training(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "cannot be written" in export_refused(str(folder / "w.json"))
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_an_exported_file_gets_the_usual_permissions(tmp_path, umask, mode):
    for name in ("w.json", "w.npz"):
        run = cli("train", "--dataset", "xor", "--epochs", "0", "--export", tmp_path / name, umask=umask)
        assert run.returncode == 0, run.stderr
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.npz"]


def test_replacing_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "w.json"
    path.write_text("old")
    path.chmod(0o640)
    assert cli("train", "--dataset", "xor", "--epochs", "0", "--export", path, umask=0o077).returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and json.loads(path.read_text())["format"]


# --- F: numbers -------------------------------------------------------------------------------------
def test_metrics_of_a_diverged_regression_are_printed_in_significant_digits():
    run = cli("train", "--dataset", "product", "--activation", "linear", "--init", "ones", "--lr", "10", "--mode",
              "full", "--epochs", "100")
    assert run.returncode == 3
    lines = run.stdout.splitlines()
    r2 = [line for line in lines if line.startswith("r2 ")]
    assert len(r2) == 1 and re.fullmatch(r"r2 -\d\.\d{1,5}e\+\d{2,3}", r2[0]), r2
    assert all(len(word) <= 14 for line in lines[1:] for word in line.split()), lines


def test_accuracy_is_printed_in_significant_digits():
    run = cli("train", "--dataset", "xor", "--epochs", "2000")
    assert run.returncode == 0
    assert "accuracy 1" in run.stdout.splitlines()  # 1, not 1.0000
