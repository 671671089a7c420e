"""File > Open Recent and drag and drop of a header file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.main_window import MainWindow
from desktop_app.recent_files import MAX_RECENT_FILES, RecentFiles

CLASSIFY_TIMEOUT_MS = 120_000


@pytest.fixture
def settings(tmp_path: Path) -> QtCore.QSettings:
    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


def make_window(qtbot, settings: QtCore.QSettings) -> MainWindow:
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def recent_action_paths(window: MainWindow) -> list[str]:
    return [action.data() for action in window.recent_menu.actions() if action.data()]


def test_recent_list_keeps_ten_newest(settings, tmp_path):
    recent = RecentFiles(settings)
    paths = [tmp_path / f"record_{number}.hea" for number in range(12)]
    for path in paths:
        recent.add(path)
    recent.add(paths[5])

    stored = recent.paths()
    assert len(stored) == MAX_RECENT_FILES
    assert stored[0] == str(paths[5].resolve())
    assert stored[1] == str(paths[11].resolve())
    assert str(paths[0].resolve()) not in stored
    assert stored.count(str(paths[5].resolve())) == 1


def test_opened_record_joins_recent_menu(qtbot, settings, mitdb_dir, open_and_wait):
    window = make_window(qtbot, settings)
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, mitdb_dir / "100.hea", cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error

    expected = str((mitdb_dir / "100.hea").resolve())
    assert recent_action_paths(window) == [expected]
    assert RecentFiles(settings).paths() == [expected]


def test_recent_menu_reopens_record(qtbot, settings, mitdb_dir, open_and_wait):
    RecentFiles(settings).add(mitdb_dir / "103.hea")
    window = make_window(qtbot, settings)
    action = next(action for action in window.recent_menu.actions() if action.data())

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, action.trigger, cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error

    assert window.record.record_name == "103"


def test_missing_recent_entry_removed(qtbot, settings, tmp_path):
    missing = tmp_path / "deleted_record.hea"
    RecentFiles(settings).add(missing)
    window = make_window(qtbot, settings)
    action = next(action for action in window.recent_menu.actions() if action.data())

    with qtbot.waitSignal(window.error_shown, timeout=5_000) as blocker:
        action.trigger()

    assert "deleted_record.hea" in blocker.args[0]
    assert "removed from Open Recent" in blocker.args[0]
    assert recent_action_paths(window) == []
    assert RecentFiles(settings).paths() == []


def test_dropped_header_opens_record(qtbot, settings, mitdb_dir, open_and_wait):
    window = make_window(qtbot, settings)
    mime_data = QtCore.QMimeData()
    mime_data.setUrls([QtCore.QUrl.fromLocalFile(str(mitdb_dir / "100.hea"))])
    event_args = (
        QtCore.Qt.DropAction.CopyAction,
        mime_data,
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    enter = QtGui.QDragEnterEvent(QtCore.QPoint(20, 20), *event_args)
    QtWidgets.QApplication.sendEvent(window.centralWidget(), enter)
    assert enter.isAccepted()

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        drop = QtGui.QDropEvent(QtCore.QPointF(20, 20), *event_args)
        assert open_and_wait(
            window, lambda: QtWidgets.QApplication.sendEvent(window.centralWidget(), drop), cancel_classification=True
        )
    assert ended.args == ["cancelled"], window.last_error

    assert window.record.record_name == "100"


def test_drag_of_other_file_rejected(qtbot, settings, tmp_path):
    window = make_window(qtbot, settings)
    mime_data = QtCore.QMimeData()
    mime_data.setUrls([QtCore.QUrl.fromLocalFile(str(tmp_path / "100.dat"))])
    enter = QtGui.QDragEnterEvent(
        QtCore.QPoint(20, 20),
        QtCore.Qt.DropAction.CopyAction,
        mime_data,
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    QtWidgets.QApplication.sendEvent(window, enter)

    assert not enter.isAccepted()
