"""The window keeps its size and dock layout between sessions, and Help is the last menu."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from desktop_app.main_window import MainWindow


def make_window(qtbot, settings_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(settings_path), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    return window


def test_layout_restored_after_restart(qtbot, tmp_path: Path, caplog) -> None:
    settings_path = tmp_path / "settings.ini"
    first = make_window(qtbot, settings_path)
    first.show()
    qtbot.waitExposed(first)
    first.wiring_dock.toggleViewAction().trigger()
    assert not first.wiring_dock.toggleViewAction().isChecked()
    assert first.review_controller.dock.isVisible()
    first.close()

    second = make_window(qtbot, settings_path)
    second.show()
    qtbot.waitExposed(second)
    # The offscreen screen is 800 x 800, so Qt fits the restored size to it. Only the restore itself is checked.
    assert isinstance(second.settings.value("window/geometry"), QtCore.QByteArray)
    assert "Ignoring the saved" not in caplog.text
    assert not second.wiring_dock.toggleViewAction().isChecked()
    assert second.review_controller.dock.isVisible()


def test_help_menu_is_last(qtbot, tmp_path: Path) -> None:
    window = make_window(qtbot, tmp_path / "settings.ini")
    titles = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert titles[-1] == "Help"
    assert {"File", "Edit", "View", "Review"} <= set(titles)
    view_entries = [action.text() for action in window.view_menu.actions()]
    assert "Beats" in view_entries
