"""The neuron heatmap: its legend and tooltip for hatched areas, and the trace of a clicked row on the same time axis."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.heatmap_view import (
    NO_STATE_FILL,
    NO_STATE_HATCH,
    NO_STATE_LABEL,
    NO_STATE_TOOLTIP,
    ROLE_SEPARATOR_COLOR,
)


def click_row(qtbot, heatmap, row: int) -> None:
    """Click the middle of the visible part of heatmap row `row`, as a user would."""
    view_box = heatmap.plot.getViewBox()
    (x_low, x_high), _ = view_box.viewRange()
    scene_point = view_box.mapViewToScene(QtCore.QPointF((x_low + x_high) / 2, row + 0.5))
    widget_point = heatmap.mapFromScene(scene_point)
    qtbot.mouseClick(heatmap.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_point)


def test_row_click_plots_neuron_trace(qtbot, classified_window):
    heatmap = classified_window.heatmap_view
    prediction = heatmap.prediction
    row = prediction.neuron_names.index("motor V")
    assert not heatmap.trace_plot.isVisible()

    with qtbot.waitSignal(heatmap.neuron_selected) as selected:
        click_row(qtbot, heatmap, row)

    assert selected.args == [row]
    assert heatmap.trace_plot.isVisible()
    times_s, values = heatmap.trace_curve.getOriginalDataset()
    assert len(values) == len(prediction.state_sample)
    assert np.allclose(times_s, prediction.state_sample / 360.0)
    assert np.array_equal(np.isnan(values), np.isnan(prediction.states[:, row]))
    assert np.allclose(values[np.isfinite(values)], prediction.states[:, row][np.isfinite(values)])
    assert heatmap.trace_plot.getAxis("left").labelText == "motor V"


def test_trace_follows_scroll_and_hides(qtbot, classified_window):
    heatmap = classified_window.heatmap_view
    heatmap.select_neuron(0)
    classified_window.lead_column.set_x_range(100.0, 110.0)

    def trace_shows_view() -> None:
        trace_range = heatmap.trace_plot.getViewBox().viewRange()[0]
        assert trace_range[0] == pytest.approx(100.0, abs=1e-6)
        assert trace_range[1] == pytest.approx(110.0, abs=1e-6)

    # The newly shown plot takes its final width, and so its range, once the layout runs.
    qtbot.waitUntil(trace_shows_view, timeout=5000)

    click_row(qtbot, heatmap, 0)
    assert heatmap.selected_neuron == -1
    assert not heatmap.trace_plot.isVisible()


def longest_no_state_time_s(window) -> float:
    """Return the middle, in seconds, of the longest run of heatmap columns without a state."""
    prediction = window.prediction
    missing = np.isnan(prediction.states).all(axis=1)
    assert missing.any(), "record 100 has times that no beat window covers"
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = int(np.argmax(stops - starts))
    middle = (starts[longest] + stops[longest] - 1) // 2
    return float(prediction.state_sample[middle] / window.record.fs)


def tooltip_at(heatmap, scene_point: QtCore.QPointF) -> str:
    """Ask the heatmap for its tooltip at `scene_point`, as resting the mouse there does.

    Returns the text of the tooltip shown, or "" when none is.
    """
    QtWidgets.QToolTip.hideText()
    widget_point = heatmap.mapFromScene(scene_point)
    global_point = heatmap.viewport().mapToGlobal(widget_point)
    event = QtGui.QHelpEvent(QtCore.QEvent.Type.ToolTip, widget_point, global_point)
    QtWidgets.QApplication.sendEvent(heatmap.viewport(), event)
    QtWidgets.QApplication.processEvents()
    return QtWidgets.QToolTip.text() if QtWidgets.QToolTip.isVisible() else ""


def test_legend_explains_hatching(qtbot, classified_window):
    heatmap = classified_window.heatmap_view
    legend = heatmap.no_state_legend
    QtWidgets.QApplication.processEvents()

    assert legend.isVisible()
    assert legend.text() == NO_STATE_LABEL == "no network input"
    assert "no beat's input window covers this time" in NO_STATE_TOOLTIP
    assert legend.swatch.brush().style() == QtCore.Qt.BrushStyle.TexturePattern

    # The legend sits in the colour bar's column, beside the plot and no lower, so the plot keeps its size.
    legend_rect = legend.sceneBoundingRect()
    plot_rect = heatmap.plot.sceneBoundingRect()
    assert legend_rect.left() >= plot_rect.right()
    assert legend_rect.bottom() <= plot_rect.bottom()
    assert legend_rect.top() > heatmap.color_bar.sceneBoundingRect().top()
    # The whole text shows: it lies inside the legend, and the legend inside the widget.
    viewport_rect = QtCore.QRectF(heatmap.viewport().rect())
    assert legend_rect.contains(legend.text_item.sceneBoundingRect())
    assert viewport_rect.contains(heatmap.mapFromScene(legend_rect).boundingRect())

    assert tooltip_at(heatmap, legend_rect.center()) == NO_STATE_TOOLTIP


def test_no_state_area_hatched(qtbot, classified_window):
    window = classified_window
    heatmap = window.heatmap_view
    time_s = longest_no_state_time_s(window)
    window.lead_column.set_x_range(time_s - 0.25, time_s + 0.25)
    view_box = heatmap.plot.getViewBox()
    qtbot.waitUntil(lambda: view_box.viewRange()[0][0] == pytest.approx(time_s - 0.25, abs=1e-6), timeout=5000)
    QtWidgets.QApplication.processEvents()

    # The pixels down the column of the missing states show the swatch's fill and hatch lines,
    # crossed only by the lines between neuron roles.
    image = heatmap.grab().toImage()
    top = view_box.mapViewToScene(QtCore.QPointF(time_s, 0.0))
    bottom = view_box.mapViewToScene(QtCore.QPointF(time_s, len(window.prediction.neuron_names)))
    x = heatmap.mapFromScene(top).x()
    rows = range(heatmap.mapFromScene(top).y() + 1, heatmap.mapFromScene(bottom).y() - 1)
    colors = {image.pixelColor(x, y).name() for y in rows}
    assert colors <= {NO_STATE_FILL, NO_STATE_HATCH, ROLE_SEPARATOR_COLOR}, colors
    assert NO_STATE_HATCH in colors

    text = tooltip_at(heatmap, view_box.mapViewToScene(QtCore.QPointF(time_s, 3.5)))
    assert NO_STATE_TOOLTIP in text
