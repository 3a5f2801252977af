"""The window fits the screen: its opening size, the Run buttons always in view, splitters, and the layout saved
and restored through QSettings. No test reads or writes the user's own settings: they use files in tmp_path."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize, QStandardPaths
from PySide6.QtWidgets import QWidget
from xvfb_support import xvfb_missing_reason

from gui.main_window import DEFAULT_SIZE, MIN_SIZE, fit_to_screen

ROOT = Path(__file__).resolve().parents[1]
SCREENS = [QSize(1280, 720), QSize(1366, 768), QSize(800, 500), QSize(1600, 1000), QSize(1920, 1080)]


@pytest.fixture(autouse=True)
def no_user_settings():
    """Qt's test mode moves the standard locations away from the user's, should anything reach for them."""
    QStandardPaths.setTestModeEnabled(True)
    yield
    QStandardPaths.setTestModeEnabled(False)


def ini_settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "layout.ini"), QSettings.Format.IniFormat)


def rect_in_window(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def settle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.isVisible())
    qtbot.wait(50)  # layouts and splitters settle in posted events


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s.width()}x{s.height()}")
def test_the_opening_size_fits_the_available_area(screen):
    size = fit_to_screen(screen)
    assert size.width() <= screen.width() and size.height() <= screen.height()
    assert size.width() <= DEFAULT_SIZE.width() and size.height() <= DEFAULT_SIZE.height()
    assert size.width() >= min(MIN_SIZE.width(), screen.width() - 40)


def test_a_large_screen_gets_the_default_size_and_a_tiny_one_no_more_than_it_has():
    assert fit_to_screen(QSize(2560, 1440)) == DEFAULT_SIZE
    tiny = fit_to_screen(QSize(500, 300))
    assert tiny.width() <= 500 and tiny.height() <= 300


def test_the_window_opens_within_its_screen(make_window, qtbot):
    window = make_window()
    window.show()
    settle(qtbot, window)
    area = window.available_geometry()
    assert window.width() <= area.width() and window.height() <= area.height()
    assert area.contains(window.frameGeometry().topLeft())


@pytest.mark.parametrize("screen", [QSize(1280, 720), QSize(800, 500)], ids=["1280x720", "200% of 1600x1000"])
def test_the_run_buttons_stay_in_view(make_window, qtbot, screen):
    window = make_window()
    window.resize(fit_to_screen(screen))
    window.show()
    settle(qtbot, window)
    panel = window.panel
    for button in (panel.train_button, panel.step_epoch_button, panel.step_sample_button, panel.reset_button,
                   panel.reinit_button):
        assert button.isVisible()
        assert window.rect().contains(rect_in_window(button, window)), button.text()
        assert not button.visibleRegion().isEmpty(), button.text()  # not scrolled out of the viewport
    assert not window.settings_scroll.isAncestorOf(window.run_group)


def test_the_plots_are_large_enough_at_1280x720(make_window, qtbot):
    window = make_window()
    window.resize(fit_to_screen(QSize(1280, 720)))
    window.show()
    settle(qtbot, window)
    views = [window.network_diagram, window.loss_plot, window.boundary_plot, window.weights_plot, window.arithmetic,
             window.history_bar.slider]
    window.detail_tabs.setCurrentWidget(window.arithmetic.parentWidget())  # a tab's page is laid out when shown
    settle(qtbot, window)
    for view in views:
        least = (200, 12) if view is window.history_bar.slider else (300, 200)
        assert view.width() >= least[0] and view.height() >= least[1], (view, view.size())
        assert window.rect().contains(rect_in_window(view, window))


def test_the_panel_and_plots_sit_in_splitters(make_window):
    window = make_window()
    splitters = window.splitters
    assert set(splitters) == {"main", "plots", "top", "bottom"}
    assert splitters["main"].indexOf(window.settings_scroll.parentWidget()) == 0
    assert splitters["top"].indexOf(window.network_tabs) == 0 and splitters["top"].indexOf(window.plane_tabs) == 1
    assert window.plane_tabs.indexOf(window.boundary_plot) == 0
    assert splitters["bottom"].indexOf(window.loss_plot) == 0 and splitters["bottom"].indexOf(window.detail_tabs) == 1
    assert window.network_tabs.indexOf(window.network_diagram) == 0
    assert window.detail_tabs.indexOf(window.weights_plot) == 0
    assert splitters["plots"].indexOf(splitters["top"]) == 0 and splitters["plots"].indexOf(splitters["bottom"]) == 1


def test_geometry_and_splitters_round_trip_through_settings(make_window, qtbot, tmp_path):
    first = make_window(ini_settings(tmp_path))
    first.resize(760, 560)
    first.show()
    settle(qtbot, first)
    first.splitters["main"].setSizes([400, 360])
    first.splitters["top"].setSizes([150, 210])
    first.splitters["plots"].setSizes([300, 200])
    sizes = {name: splitter.sizes() for name, splitter in first.splitters.items()}
    first.close()  # saves
    assert ini_settings(tmp_path).value("window/geometry") is not None

    second = make_window(ini_settings(tmp_path))
    assert second.restore_layout()
    second.show()
    settle(qtbot, second)
    assert second.size() == QSize(760, 560)
    for name in ("main", "top", "plots"):
        assert second.splitters[name].sizes() == sizes[name], name


def test_a_saved_geometry_larger_than_the_screen_is_clamped(make_window, qtbot, tmp_path):
    first = make_window(ini_settings(tmp_path))
    first.show()
    first.resize(DEFAULT_SIZE)  # the offscreen screen is smaller than this
    settle(qtbot, first)
    first.save_layout()

    second = make_window(ini_settings(tmp_path))
    second.restore_layout()
    second.show()
    settle(qtbot, second)
    area = second.available_geometry()
    assert second.width() <= area.width() and second.height() <= area.height()


def test_without_settings_nothing_is_saved_and_the_default_fits(make_window, qtbot):
    window = make_window()
    assert window.settings is None
    assert not window.restore_layout()  # nothing to restore: fits the default size to the screen
    area = window.available_geometry()
    assert window.width() <= area.width() and window.height() <= area.height()
    window.save_layout()  # no settings: a no-op


def run_under_xvfb(screen: str, config_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_CONFIG_HOME"] = str(config_home)  # the app's QSettings file goes here, not to the user's
    return subprocess.run(["xvfb-run", "-a", "-s", f"-screen 0 {screen}x24", sys.executable, str(ROOT / "main.py"),
                           "--quit-after", "1.5", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def saved_size(config_home: Path) -> QSize:
    files = list(config_home.rglob("*.conf"))
    assert len(files) == 1, files
    geometry = bytes(QSettings(str(files[0]), QSettings.Format.IniFormat).value("window/geometry"))
    # QWidget.saveGeometry's format ends with the client geometry: left, top, right, bottom (big-endian int32)
    left, top, right, bottom = struct.unpack(">iiii", geometry[-16:])
    return QSize(right - left + 1, bottom - top + 1)


@pytest.mark.skipif(xvfb_missing_reason() is not None, reason=str(xvfb_missing_reason()))
def test_a_real_window_remembers_its_size_and_fits_a_smaller_screen(tmp_path):
    run = run_under_xvfb("1600x1000", tmp_path, "--size", "1000x640")
    assert run.returncode == 0, run.stderr
    assert saved_size(tmp_path) == QSize(1000, 640)
    run = run_under_xvfb("1600x1000", tmp_path)  # opens as it was closed
    assert run.returncode == 0, run.stderr
    assert saved_size(tmp_path) == QSize(1000, 640)
    run = run_under_xvfb("800x600", tmp_path)  # a smaller screen now: clamped to it
    assert run.returncode == 0, run.stderr
    size = saved_size(tmp_path)
    assert size.width() <= 800 and size.height() <= 600


def test_a_screenshot_neither_reads_nor_writes_the_saved_layout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    out = tmp_path / "shot.png"
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), "--epochs", "0"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "(1400x900," in run.stdout  # the default size exactly: offscreen there is no screen to fit
    assert not (tmp_path / "config").exists()


def test_an_offscreen_window_neither_reads_nor_writes_the_saved_layout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "--quit-after", "0.2"], capture_output=True,
                         text=True, cwd=ROOT, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "config").exists()
