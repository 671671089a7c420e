"""Clicking a heatmap row plots that neuron's state under the heatmap, on the same time axis."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore


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
