"""A record that cannot be opened produces an error dialog naming the file, and the window keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.main_window import MainWindow

CLASSIFY_TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.show()
    return main_window


def drop_file(widget: QtWidgets.QWidget, path: Path) -> None:
    """Drag `path` over `widget` and drop it, as a file manager would."""
    mime_data = QtCore.QMimeData()
    mime_data.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    centre = QtCore.QPoint(widget.width() // 2, widget.height() // 2)
    event_args = (
        QtCore.Qt.DropAction.CopyAction,
        mime_data,
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
    )
    enter = QtGui.QDragEnterEvent(centre, *event_args)
    QtWidgets.QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), f"{widget.objectName()} rejected a dragged .hea file"
    QtWidgets.QApplication.sendEvent(widget, QtGui.QDropEvent(QtCore.QPointF(centre), *event_args))


def error_box(window: MainWindow) -> QtWidgets.QMessageBox | None:
    return window.findChild(QtWidgets.QMessageBox, "error_message_box")


def test_missing_file_shows_error(qtbot, window, tmp_path):
    missing = tmp_path / "missing_record.hea"

    with qtbot.waitSignal(window.error_shown, timeout=5_000) as blocker:
        drop_file(window, missing)

    assert "missing_record.hea" in blocker.args[0]
    box = error_box(window)
    assert box is not None
    assert box.isVisible()
    assert box.icon() == QtWidgets.QMessageBox.Icon.Critical
    assert "missing_record.hea" in box.text()
    assert window.record is None
    assert not window.is_classifying()


def test_malformed_header_names_file(qtbot, window, tmp_path, open_and_wait):
    broken = tmp_path / "broken.hea"
    broken.write_text("this is not a WFDB header\n")

    with qtbot.waitSignal(window.error_shown, timeout=5_000) as blocker:
        assert not open_and_wait(window, broken)

    assert "broken.hea" in blocker.args[0]


@pytest.mark.slow
def test_error_keeps_previous_record(qtbot, window, mitdb_dir, tmp_path, open_and_wait):
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        window.open_record(mitdb_dir / "100.hea")
    assert ended.args == ["finished"], window.last_error
    shown_record = window.record
    shown_prediction = window.prediction
    title = window.windowTitle()

    with qtbot.waitSignal(window.error_shown, timeout=5_000) as blocker:
        drop_file(window.lead_column.viewport(), tmp_path / "gone.hea")

    assert "gone.hea" in blocker.args[0]
    assert window.record is shown_record
    assert window.prediction is shown_prediction
    assert window.windowTitle() == title
    assert window.beat_marker_layer.predicted_marker_count() == len(shown_record.beats)
    assert window.heatmap_view.image_item.isVisible()

    error_box(window).close()
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, mitdb_dir / "100.hea")
    assert ended.args == ["finished"], window.last_error
    assert window.beat_marker_layer.predicted_marker_count() == len(window.record.beats)


def test_open_after_error_succeeds(qtbot, window, mitdb_dir, tmp_path, open_and_wait):
    with qtbot.waitSignal(window.error_shown, timeout=5_000):
        window.open_record(tmp_path / "missing_record.hea")
    error_box(window).close()

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, mitdb_dir / "100.hea", cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error

    assert window.record.record_name == "100"
    assert window.beat_marker_layer.reference_marker_count() == len(window.record.beats)
    assert window.central_stack.currentWidget() is window.record_page
    assert not window.synthetic_banner.isVisible()


@pytest.mark.parametrize("case", ["folder", "image", "truncated signal file"])
def test_damaged_input_shows_error(qtbot, window, mitdb_dir, tmp_path, case, open_and_wait):
    if case == "folder":
        path = tmp_path / "a folder"
        path.mkdir()
    elif case == "image":
        path = tmp_path / "photo.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    else:
        path = tmp_path / "100.hea"
        path.write_bytes((mitdb_dir / "100.hea").read_bytes())
        (tmp_path / "100.dat").write_bytes((mitdb_dir / "100.dat").read_bytes()[:5000])

    with qtbot.waitSignal(window.error_shown, timeout=5_000) as blocker:
        assert not open_and_wait(window, path)

    named_file = "100.dat" if case == "truncated signal file" else path.name
    assert named_file in blocker.args[0]
    assert window.record is None
    assert window.isVisible()
