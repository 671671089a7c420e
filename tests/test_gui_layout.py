"""The window keeps its size and dock layout between sessions, Help is the last menu, and it narrows to 900 px."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtWidgets

from desktop_app.main_window import CENTRAL_MIN_WIDTH_PX, MainWindow


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


NARROW_WIDTH_PX = 900
"""Largest allowed minimum width of the window, so it fits half of a 1920 px monitor."""


def visible_docks(window: MainWindow) -> list[QtWidgets.QDockWidget]:
    return [dock for dock in window.findChildren(QtWidgets.QDockWidget) if dock.isVisible()]


def open_narrowed(qtbot, tmp_path: Path, record: Path, open_and_wait, width_px: int) -> MainWindow:
    """Open `record` in a 1280 px window, without classifying it, and narrow the window to `width_px`."""
    window = make_window(qtbot, tmp_path / "settings.ini")
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    assert open_and_wait(window, record, cancel_classification=True)
    window.resize(width_px, 700)
    qtbot.waitUntil(lambda: window.width() == width_px)
    QtWidgets.QApplication.processEvents()
    return window


@pytest.fixture(autouse=True)
def user_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary per-user data folder, where the review of a read-only record would be saved."""
    folder = tmp_path / "user-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


def test_window_narrows_to_900_px(qtbot, tmp_path, mitdb_dir, open_and_wait) -> None:
    window = make_window(qtbot, tmp_path / "settings.ini")
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    assert open_and_wait(window, mitdb_dir / "119.hea", cancel_classification=True)
    docks = visible_docks(window)
    assert window.review_controller.dock in docks
    assert window.beat_detail_controller.dock in docks
    assert window.minimumSizeHint().width() <= NARROW_WIDTH_PX

    window.resize(NARROW_WIDTH_PX, 700)
    qtbot.waitUntil(lambda: window.width() == NARROW_WIDTH_PX)
    QtWidgets.QApplication.processEvents()

    assert visible_docks(window) == docks
    for dock in docks:
        assert not dock.isFloating(), dock.objectName()
        assert dock.width() >= dock.minimumSizeHint().width(), dock.objectName()
        assert dock.geometry().right() < NARROW_WIDTH_PX, dock.objectName()
    assert window.centralWidget().width() >= CENTRAL_MIN_WIDTH_PX
    detail_area = window.beat_detail_controller.dock.widget()
    assert not detail_area.horizontalScrollBar().isVisible()
    # The text shown until the record is classified wraps inside the neuron state plot.
    placeholder = window.heatmap_view.placeholder
    assert placeholder.isVisible()
    assert placeholder.textItem.boundingRect().width() <= window.heatmap_view.plot.getViewBox().width()


def test_long_record_summary_elides(qtbot, tmp_path, mitdb_dir, open_and_wait) -> None:
    window = open_narrowed(qtbot, tmp_path, mitdb_dir / "119.hea", open_and_wait, NARROW_WIDTH_PX)
    summary = window.record_label.text() + ". Note: signal file 119.dat is shorter than its header says" * 5

    window.record_label.setText(summary)
    window.statusBar().clearMessage()
    QtWidgets.QApplication.processEvents()

    assert window.record_label.text() == summary
    assert window.record_label.isVisible()
    assert window.record_label.elided_text().endswith("…")
    assert window.record_label.toolTip() == summary
    assert window.minimumSizeHint().width() <= NARROW_WIDTH_PX
    assert window.width() == NARROW_WIDTH_PX


def test_review_filters_wrap_when_narrow(qtbot, tmp_path, mitdb_dir, open_and_wait) -> None:
    window = open_narrowed(qtbot, tmp_path, mitdb_dir / "119.hea", open_and_wait, 640)
    panel = window.review_controller.panel
    filters = [
        panel.disagreements_filter,
        panel.class_filter,
        panel.confidence_filter,
        panel.confidence_threshold,
        panel.unreviewed_filter,
    ]

    def bottom_in_panel(widget: QtWidgets.QWidget) -> int:
        return widget.mapTo(panel, QtCore.QPoint(0, widget.height())).y()

    def top_in_panel(widget: QtWidgets.QWidget) -> int:
        return widget.mapTo(panel, QtCore.QPoint(0, 0)).y()

    def right_in_panel(widget: QtWidgets.QWidget) -> int:
        return widget.mapTo(panel, QtCore.QPoint(widget.width(), 0)).x()

    # The filters no longer fit in one row, so they take more than one.
    assert len({top_in_panel(widget) for widget in filters}) > 1
    table_top = top_in_panel(panel.table_view)
    for widget in filters:
        assert widget.isVisible(), widget.objectName()
        assert right_in_panel(widget) <= panel.width(), widget.objectName()
        assert bottom_in_panel(widget) <= table_top, widget.objectName()
    # The threshold stays in the row of its check box.
    threshold_middle = (top_in_panel(panel.confidence_threshold) + bottom_in_panel(panel.confidence_threshold)) / 2
    assert top_in_panel(panel.confidence_filter) <= threshold_middle <= bottom_in_panel(panel.confidence_filter)
    assert bottom_in_panel(panel.progress_label) <= top_in_panel(panel.save_location_label)
    assert panel.progress_label.height() >= panel.progress_label.heightForWidth(panel.progress_label.width())


def test_symbol_list_shows_whole_names(qtbot, tmp_path, mitdb_dir, open_and_wait) -> None:
    window = open_narrowed(qtbot, tmp_path, mitdb_dir / "119.hea", open_and_wait, NARROW_WIDTH_PX)
    combo = window.review_controller.panel.symbol_combo
    metrics = combo.view().fontMetrics()
    widest_name_px = max(metrics.horizontalAdvance(combo.itemText(row)) for row in range(combo.count()))
    assert combo.width() < widest_name_px

    combo.showPopup()
    qtbot.waitUntil(combo.view().isVisible)

    assert combo.view().viewport().width() >= widest_name_px
    combo.hidePopup()
