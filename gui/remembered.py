"""What the window remembers between launches (QSettings): the last network's settings and the recent files.

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
        if self.settings is None:
            return []
        try:
            paths = json.loads(str(self.settings.value(RECENT_FILES, "[]")))
        except ValueError:
            return []
        return [p for p in paths if isinstance(p, str) and Path(p).is_file()][:MAX_RECENT] \
            if isinstance(paths, list) else []

    def add(self, path: str | Path) -> None:
        if self.settings is None:
            return
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.paths() if p != path]
        self.settings.setValue(RECENT_FILES, json.dumps(paths[:MAX_RECENT]))
