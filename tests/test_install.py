"""Installing the app: the `perceptron-playground` command, what a non-editable install ships, and the menu entry
that `make install-desktop` writes and `make uninstall-desktop` removes."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "perceptron-playground"
TRAIN = ["train", "--dataset", "xor", "--epochs", "3", "--json"]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def installed_command() -> Path:
    """The console script pip put beside this interpreter (make test installs the project editable)."""
    path = Path(sysconfig.get_path("scripts")) / COMMAND
    assert path.exists(), f"{path} is missing: reinstall the project (make test, or pip install -e '.[test]')"
    return path


def main_py(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_the_command_runs_what_main_py_runs(capsys, monkeypatch):
    value = PYPROJECT["project"]["scripts"][COMMAND]
    entry = importlib.metadata.EntryPoint(COMMAND, value, "console_scripts").load()
    monkeypatch.setattr(sys, "argv", [COMMAND, *TRAIN])  # a console script calls its function with no arguments
    assert entry() == 0
    expected = main_py(*TRAIN)
    assert expected.returncode == 0, expected.stderr
    assert json.loads(capsys.readouterr().out) == json.loads(expected.stdout)

    run = subprocess.run([str(installed_command()), *TRAIN], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == json.loads(expected.stdout)


def test_every_package_and_resource_is_shipped():
    """A non-editable install holds only what pyproject lists: a subpackage left out (gui.views once was) or a
    resource missing from package-data works from the checkout and fails once installed."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    on_disk = {".".join(init.parent.relative_to(ROOT).parts)
               for top in ("model", "gui") for init in (ROOT / top).rglob("__init__.py")}
    assert on_disk <= set(setuptools["packages"])
    assert "resources" in setuptools["packages"]
    from gui.widgets import RESOURCES  # where the window looks: beside gui/, as resources/ is installed

    assert RESOURCES == ROOT / "resources"
    for name in ("help.md", "icon.svg"):
        assert name in setuptools["package-data"]["resources"] and (RESOURCES / name).is_file()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_install_and_uninstall_desktop(tmp_path):
    data_home = tmp_path / "share"
    venv = Path(sys.prefix)
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}

    def make(target: str) -> subprocess.CompletedProcess:
        # VENV: this interpreter's; -o: take its install as done (no pip here); QT_DEBS= : no Debian packages here
        run = subprocess.run(["make", "-s", "-o", f"{venv}/.installed-app", target, f"VENV={venv}", "QT_DEBS="],
                             capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
        assert run.returncode == 0, run.stdout + run.stderr
        return run

    make("install-desktop")
    entry = data_home / "applications" / f"{COMMAND}.desktop"
    icon = data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{COMMAND}.svg"
    assert icon.read_bytes() == (ROOT / "resources" / "icon.svg").read_bytes()
    lines = entry.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    keys = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    assert keys["Type"] == "Application" and keys["Name"] == "Perceptron Playground"
    assert Path(keys["Exec"]).resolve() == installed_command().resolve()
    assert keys["Icon"] == str(icon)
    if shutil.which("desktop-file-validate"):
        validate = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert validate.returncode == 0 and not validate.stdout.strip(), validate.stdout

    make("install-desktop")  # again: replaces, adds nothing
    assert sorted(p.name for p in data_home.rglob("*") if p.is_file()) == [f"{COMMAND}.desktop", f"{COMMAND}.svg"]

    make("uninstall-desktop")
    assert not any(data_home.iterdir())  # the folders install made are gone too


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_desktop_entry_quotes_an_awkward_path(tmp_path):
    """Exec= follows the desktop entry spec's quoting when the command's path has spaces, quotes, $ or %."""
    folder = tmp_path / 'my "apps" $HOME 100%'
    folder.mkdir()
    command = folder / COMMAND
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    data_home = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    script = str(ROOT / "tools" / "desktop_entry.sh")
    subprocess.run(["bash", script, "install", str(command)], check=True, capture_output=True, env=env, timeout=60)
    text = (data_home / "applications" / f"{COMMAND}.desktop").read_text(encoding="utf-8")
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert exec_line == 'Exec="' + str(command).replace('"', '\\\\"').replace("$", "\\\\$").replace("%", "%%") + '"'
    subprocess.run(["bash", script, "uninstall"], check=True, capture_output=True, env=env, timeout=60)
    assert not any(data_home.iterdir())
