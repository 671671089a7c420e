"""Keyboard and view behaviour of the lead column and the heatmap that shares its time axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore

from desktop_app.overview_strip import smoothed_heart_rate
from desktop_app.main_window import MainWindow

CLASSIFY_TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot, tmp_path: Path, mitdb_dir: Path, open_and_wait) -> MainWindow:
    """A window showing record 100 with its reference labels (classification cancelled)."""
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.resize(1280, 800)
    main_window.show()
    with qtbot.waitSignal(main_window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(main_window, mitdb_dir / "100.hea", cancel_classification=True)
    assert ended.args == ["cancelled"], main_window.last_error
    return main_window


def test_initial_view_is_ten_seconds(window):
    start_s, end_s = window.lead_column.visible_range()

    assert start_s == pytest.approx(0.0, abs=0.01)
    assert end_s == pytest.approx(10.0, abs=0.01)


def test_every_ecg_lead_is_stacked(window):
    lead_column = window.lead_column
    record = window.record

    assert len(lead_column.lead_plots) == len(record.ecg_channels) == 2
    for plot, channel in zip(lead_column.lead_plots, record.ecg_channels):
        assert record.sig_name[channel] in plot.getAxis("left").labelText
        assert plot.getAxis("left").labelUnits == "mV"
        assert plot.getViewBox().linkedView(0) is lead_column.strip_plot.getViewBox()


def test_curves_hold_only_samples_in_view(qtbot, window):
    lead_column = window.lead_column
    record = lead_column.record
    lead_column.set_x_range(1.0, 2.0)
    for curve, channel in zip(lead_column.lead_curves, record.ecg_channels):
        time_s, values_mv = curve.getData()
        first = round(time_s[0] * record.fs)
        assert curve.opts["connect"] == "finite"
        assert 0.99 <= time_s[0] <= 1.0
        assert 2.0 <= time_s[-1] < 2.01
        assert np.array_equal(values_mv, record.signal[first : first + len(values_mv), channel])

    lead_column.show_whole_record()
    width_px = lead_column.lead_plots[0].getViewBox().width()
    for curve, channel in zip(lead_column.lead_curves, record.ecg_channels):
        time_s, values_mv = curve.getData()
        assert len(values_mv) <= 2 * width_px + 4
        assert time_s[-1] >= record.duration_s - 2 * record.duration_s / width_px
        assert np.nanmax(values_mv) == np.nanmax(record.signal[:, channel])
        assert np.nanmin(values_mv) == np.nanmin(record.signal[:, channel])


def test_arrow_keys_scroll(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    start_s, end_s = window.lead_column.visible_range()
    assert start_s == pytest.approx(2.5, abs=0.01)
    assert end_s == pytest.approx(12.5, abs=0.01)

    qtbot.keyClick(window.lead_column, QtCore.Qt.Key.Key_Left)
    start_s, _ = window.lead_column.visible_range()
    assert start_s == pytest.approx(0.0, abs=0.01)


def test_plus_minus_keys_zoom(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Plus)
    start_s, end_s = window.lead_column.visible_range()
    assert end_s - start_s == pytest.approx(10.0 / 1.5, rel=0.01)

    qtbot.keyClick(window, QtCore.Qt.Key.Key_Minus)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Minus)
    start_s, end_s = window.lead_column.visible_range()
    assert end_s - start_s == pytest.approx(15.0, rel=0.01)


def test_view_stays_inside_record(qtbot, window):
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)
    start_s, end_s = window.lead_column.visible_range()
    assert end_s == pytest.approx(window.record.duration_s, abs=0.01)
    assert end_s - start_s == pytest.approx(10.0, abs=0.01)

    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    assert window.lead_column.visible_range()[1] <= window.record.duration_s + 1e-6


def test_heatmap_follows_waveform_scroll(qtbot, window):
    window.lead_column.set_x_range(600.0, 620.0)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_PageDown)

    heatmap_range = window.heatmap_view.plot.getViewBox().viewRange()[0]
    assert np.allclose(heatmap_range, window.lead_column.visible_range(), atol=1e-6)
    assert heatmap_range[0] == pytest.approx(620.0, abs=0.01)


def test_heatmap_aligned_under_leads(qtbot, window):
    lead_view_box = window.lead_column.lead_plots[0].getViewBox()
    heatmap_view_box = window.heatmap_view.plot.getViewBox()

    def edges_in_window(view_box, graphics_view) -> tuple[float, float]:
        scene_rect = view_box.sceneBoundingRect()
        left = graphics_view.mapTo(window, graphics_view.mapFromScene(scene_rect.topLeft())).x()
        right = graphics_view.mapTo(window, graphics_view.mapFromScene(scene_rect.bottomRight())).x()
        return left, right

    lead_left, lead_right = edges_in_window(lead_view_box, window.lead_column)
    heatmap_left, heatmap_right = edges_in_window(heatmap_view_box, window.heatmap_view)
    assert lead_left == pytest.approx(heatmap_left, abs=1.0)
    assert lead_right == pytest.approx(heatmap_right, abs=1.0)


def test_overview_region_tracks_view(qtbot, window):
    overview = window.lead_column.overview
    window.lead_column.set_x_range(300.0, 310.0)
    assert overview.region.getRegion() == pytest.approx((300.0, 310.0), abs=0.01)

    overview.region.setRegion((900.0, 920.0))
    assert window.lead_column.visible_range() == pytest.approx((900.0, 920.0), abs=0.01)
    heatmap_range = window.heatmap_view.plot.getViewBox().viewRange()[0]
    assert heatmap_range[0] == pytest.approx(900.0, abs=0.01)


def test_overview_shows_heart_rate(window):
    overview = window.lead_column.overview
    trend_time_s, trend_bpm = overview.trend.xData, overview.trend.yData
    beats = window.record.beats

    assert len(trend_time_s) == len(beats) - 1
    assert 60 <= np.nanmedian(trend_bpm) <= 90
    # The smoothed trend moves less from beat to beat than the beat-to-beat rate behind it.
    instant_bpm = overview.instant.yData
    assert np.nanstd(np.diff(trend_bpm)) < 0.5 * np.nanstd(np.diff(instant_bpm))


def test_smoothed_rate_ignores_one_premature_beat():
    bpm = np.full(30, 60.0)
    bpm[10], bpm[11] = 100.0, 40.0  # a premature beat and its compensatory pause
    bpm[20:23] = np.nan
    smoothed = smoothed_heart_rate(bpm, window_beats=9)
    assert smoothed.shape == bpm.shape
    assert np.all(smoothed == 60.0)
    assert np.all(np.isnan(smoothed_heart_rate(np.full(5, np.nan))))


def test_hover_reads_time_and_value(qtbot, window):
    plot = window.lead_column.lead_plots[0]
    view_box = plot.getViewBox()
    scene_position = view_box.mapViewToScene(QtCore.QPointF(2.0, 0.0))

    window.lead_column.scene().sigMouseMoved.emit(scene_position)

    text = window.hover_label.text()
    assert text.startswith("0:02.0")
    assert "MLII" in text
    assert text.endswith(" mV")


def test_heatmap_range_after_short_record(qtbot, tmp_path: Path, data_dir: Path, open_and_wait):
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.resize(1280, 800)
    main_window.show()

    # test01_00s lasts 8 s, shorter than the 10 s initial view of record 100.
    for path in (data_dir / "formats" / "test01_00s.hea", data_dir / "mitdb" / "100.hea"):
        with qtbot.waitSignal(main_window.classification_cancelled, timeout=CLASSIFY_TIMEOUT_MS):
            assert open_and_wait(main_window, path, cancel_classification=True)

    lead_range = main_window.lead_column.lead_plots[0].getViewBox().viewRange()[0]
    heatmap_range = main_window.heatmap_view.plot.getViewBox().viewRange()[0]
    assert lead_range[1] == pytest.approx(10.0, abs=0.01)
    assert heatmap_range[0] == pytest.approx(lead_range[0], abs=1e-6)
    assert heatmap_range[1] == pytest.approx(lead_range[1], abs=1e-6)
