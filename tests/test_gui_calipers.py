"""Paper scale (25 mm/s, 10 mm/mV) and time calipers on MIT-BIH record 100, with real widgets offscreen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from desktop_app.calipers import format_interval
from desktop_app.main_window import MainWindow
from desktop_app.paper_scale import PIXELS_PER_MM_SETTING, screen_density

PIXELS_PER_MM = 4.0


@pytest.fixture
def window(qtbot, tmp_path: Path, record_100_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue(PIXELS_PER_MM_SETTING, PIXELS_PER_MM)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.record_opened, timeout=30_000):
        window.open_record(record_100_path)
    window.cancel_classification()
    return window


def spans(window: MainWindow) -> list[tuple[float, float, float, float]]:
    """Return (seconds shown, width px, mV shown, height px) for each lead."""
    rows = []
    for plot in window.lead_column.lead_plots:
        view_box = plot.getViewBox()
        (x_low, x_high), (y_low, y_high) = view_box.viewRange()
        rows.append((x_high - x_low, view_box.width(), y_high - y_low, view_box.height()))
    return rows


def assert_paper_scale(window: MainWindow) -> None:
    for seconds, width_px, millivolts, height_px in spans(window):
        assert seconds * 25 * PIXELS_PER_MM == pytest.approx(width_px, rel=1e-3)
        assert millivolts * 10 * PIXELS_PER_MM == pytest.approx(height_px, rel=1e-3)


def test_paper_scale_follows_resize(qtbot, window: MainWindow) -> None:
    free_y_ranges = [plot.getViewBox().viewRange()[1] for plot in window.lead_column.lead_plots]
    window.paper_scale_action.trigger()
    assert window.paper_scale_action.isChecked()
    assert_paper_scale(window)
    assert "4.00 px/mm, calibrated by the user" in window.statusBar().currentMessage()

    window.resize(1000, 700)
    qtbot.waitUntil(lambda: spans(window)[0][1] < 900, timeout=5000)
    assert_paper_scale(window)

    # Scrolling keeps the scale, zooming leaves it and restores each lead's amplitude range.
    window.lead_column.scroll_by(1.0)
    assert_paper_scale(window)
    window.lead_column.zoom_by(1.5)
    assert not window.paper_scale_action.isChecked()
    for plot, (low, high) in zip(window.lead_column.lead_plots, free_y_ranges):
        assert plot.getViewBox().viewRange()[1] == pytest.approx([low, high])


def view_centre_s(window: MainWindow) -> float:
    start_s, end_s = window.lead_column.visible_range()
    return (start_s + end_s) / 2


def test_paper_scale_centres_selected_beat(qtbot, window: MainWindow) -> None:
    beat_time_s = window.record.beats.sample[1000] / window.record.fs
    window.review_controller.panel.select_beat(1000)
    # Scrolling by a quarter of the view leaves the selected beat in view but off centre.
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    assert view_centre_s(window) == pytest.approx(beat_time_s + 2.5, abs=0.01)

    qtbot.keyClick(window, QtCore.Qt.Key.Key_1, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.paper_scale_action.isChecked()
    assert_paper_scale(window)
    assert view_centre_s(window) == pytest.approx(beat_time_s, abs=0.01)

    # After a scroll the beat is off centre again, and a wider window brings it back to the centre.
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    start_s, end_s = window.lead_column.visible_range()
    assert start_s < beat_time_s < view_centre_s(window) - 0.5
    width_px = spans(window)[0][1]
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: spans(window)[0][1] > width_px + 100, timeout=5000)
    assert_paper_scale(window)
    assert view_centre_s(window) == pytest.approx(beat_time_s, abs=0.01)

    # A beat scrolled out of view stays out of view through a resize, and the view keeps its centre.
    window.lead_column.scroll_by(2.0)
    centre_s = view_centre_s(window)
    width_px = spans(window)[0][1]
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: spans(window)[0][1] < width_px - 100, timeout=5000)
    assert_paper_scale(window)
    assert view_centre_s(window) == pytest.approx(centre_s, abs=0.01)


def test_invalid_calibration_uses_screen(window: MainWindow) -> None:
    window.settings.setValue(PIXELS_PER_MM_SETTING, "wide")
    density = screen_density(window, window.settings)
    assert density.source in ("screen", "estimated")
    assert 1.5 <= density.pixels_per_mm <= 40


def test_calibration_dialog_stores_density(qtbot, window: MainWindow) -> None:
    dialog = window.calibrate_screen()
    dialog.length_box.setValue(80.0)
    dialog.accept()
    assert float(window.settings.value(PIXELS_PER_MM_SETTING)) == pytest.approx(400 / 80.0)


def test_calipers_span_rr_and_stay_linked(qtbot, window: MainWindow) -> None:
    record = window.record
    window.calipers_action.trigger()
    calipers = window.calipers
    assert len(calipers.regions) == len(window.lead_column.lead_plots) == 2

    # The default edges are two consecutive reference beats inside the view.
    start_s, end_s = calipers.edges_s()
    beat_times_s = record.beats.sample / record.fs
    first = int(np.argmin(np.abs(beat_times_s - start_s)))
    assert beat_times_s[first] == pytest.approx(start_s)
    assert beat_times_s[first + 1] == pytest.approx(end_s)

    calipers.regions[1].setRegion((2.0, 2.8))
    assert calipers.regions[0].getRegion() == pytest.approx((2.0, 2.8))
    assert calipers.interval_s() == pytest.approx(0.8)
    assert calipers.label.toPlainText() == "800 ms, 75.0 bpm"
    assert window.hover_label.text() == "Calipers: 800 ms, 75.0 bpm"

    shown_regions = list(calipers.regions)
    window.calipers_action.trigger()
    assert not calipers.is_shown()
    for region in shown_regions:
        assert region.scene() is None


def test_calipers_leave_with_record(qtbot, window: MainWindow, record_100_path: Path) -> None:
    window.calipers_action.trigger()
    with qtbot.waitSignal(window.record_opened, timeout=30_000):
        window.open_record(record_100_path)
    window.cancel_classification()
    assert not window.calipers.is_shown()
    assert not window.calipers_action.isChecked()


def test_interval_text() -> None:
    assert format_interval(0.08) == "80 ms"
    assert format_interval(1.0) == "1000 ms, 60.0 bpm"


def test_label_stays_inside_view(window: MainWindow) -> None:
    window.lead_column.set_x_range(0.0, 10.0)
    window.calipers_action.trigger()
    calipers = window.calipers
    calipers.regions[0].setRegion((2.0, 2.8))
    assert calipers.label.pos().x() == pytest.approx(2.8)
    assert calipers.label.anchor.x() == 0

    calipers.regions[0].setRegion((9.0, 9.8))
    assert calipers.label.pos().x() == pytest.approx(9.0)
    assert calipers.label.anchor.x() == 1
