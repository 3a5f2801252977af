"""What the window remembers between launches (QSettings): the last network's settings, the recent files, and
how each CSV file was last read.

The geometry and splitters are the window's own (MainWindow.save_layout). A remembered value that no longer makes
sense (a setting this version refuses, a file since removed) is skipped, never an error: the window then opens
as on a first launch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from model.config import SettingError, TrainConfig

LAST_SETTINGS = "last/settings"  # JSON: {"config": {...}, "dataset": key, "preset": name, "max_epochs": n}
RECENT_FILES = "recent/files"  # JSON: [path, ...], newest first
MAX_RECENT = 8
CSV_CHOICES = "csv/read_choices"  # JSON: [[path, load_csv's keyword arguments], ...], newest first
MAX_CSV_CHOICES = 32


@dataclass(frozen=True)
class LastSettings:
    """The network in use when the window closed: enough to start the same one again."""

    config: TrainConfig
    dataset_key: str  # a built-in name, or "csv:" and the file's path
    preset: str
    max_epochs: int


def save_last(settings: QSettings, last: LastSettings) -> None:
    settings.setValue(LAST_SETTINGS, json.dumps({"config": last.config.as_dict(), "dataset": last.dataset_key,
                                                 "preset": last.preset, "max_epochs": last.max_epochs}))


def load_last(settings: QSettings) -> LastSettings | None:
    """The settings saved at the last close, or None if there are none or they cannot be used any more."""
    try:
        data = json.loads(str(settings.value(LAST_SETTINGS, "")))
        last = LastSettings(TrainConfig.from_dict(data["config"]), str(data["dataset"]), str(data["preset"]),
                            int(data["max_epochs"]))
    except (ValueError, TypeError, KeyError, SettingError):  # absent, damaged, or of another version
        return None
    return last if last.max_epochs >= 1 else None


class RecentFiles:
    """The files opened or saved lately (CSV data, weights, sessions), newest first, at most MAX_RECENT."""

    def __init__(self, settings: QSettings | None):
        self.settings = settings

    def paths(self) -> list[str]:
        """The remembered files that still exist."""
        paths = _json_list(self.settings, RECENT_FILES)
        return [p for p in paths if isinstance(p, str) and Path(p).is_file()][:MAX_RECENT]

    def add(self, path: str | Path) -> None:
        if self.settings is None:
            return
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.paths() if p != path]
        self.settings.setValue(RECENT_FILES, json.dumps(paths[:MAX_RECENT]))


class CsvChoices:
    """How each CSV file was last read: load_csv's keyword arguments (the import dialog's choices, or the panel's
    Task and standardisation since), so that reopening it (Open recent, the next launch, the dataset list)
    reads the same target column, task, scaling and test split. At most MAX_CSV_CHOICES files, newest first."""

    def __init__(self, settings: QSettings | None):
        self.settings = settings

    def of(self, path: str | Path) -> dict | None:
        """The choices ``path`` was last read with, or None (never read, or remembered ones that are damaged)."""
        key = str(Path(path).resolve())
        return next((choices for remembered, choices in self._entries() if remembered == key), None)

    def remember(self, path: str | Path, choices: dict) -> None:
        if self.settings is None:
            return
        key = str(Path(path).resolve())
        entries = [[key, dict(choices)]] + [[p, c] for p, c in self._entries() if p != key]
        self.settings.setValue(CSV_CHOICES, json.dumps(entries[:MAX_CSV_CHOICES]))

    def _entries(self) -> list[tuple[str, dict]]:
        return [(entry[0], entry[1]) for entry in _json_list(self.settings, CSV_CHOICES)
                if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and _valid(entry[1])]


def _json_list(settings: QSettings | None, key: str) -> list:
    """The JSON list stored under ``key``; [] when there is none or it is damaged."""
    if settings is None:
        return []
    try:
        value = json.loads(str(settings.value(key, "[]")))
    except ValueError:
        return []
    return value if isinstance(value, list) else []


CHOICE_KEYS = {"target_column", "task", "standardize", "test_ratio", "split_seed"}  # load_csv's keyword arguments


def _valid(choices) -> bool:
    """The kinds load_csv takes (it checks the ranges itself and says what is wrong)."""
    def whole(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not isinstance(choices, dict) or set(choices) != CHOICE_KEYS:
        return False
    return ((choices["target_column"] is None or whole(choices["target_column"]))
            and choices["task"] in (None, "classification", "regression")
            and isinstance(choices["standardize"], bool) and whole(choices["split_seed"])
            and isinstance(choices["test_ratio"], int | float) and not isinstance(choices["test_ratio"], bool))
