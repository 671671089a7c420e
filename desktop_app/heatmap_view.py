"""Neuron-state heatmap: one row per LTC neuron, on the waveform's time axis."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.lead_column import LAYOUT_MARGINS_PX, RIGHT_COLUMN_WIDTH_PX, configure_plot_axes
from desktop_app.time_axis import TimeAxisItem, format_clock_time
from model.preprocess import InputConfig

if TYPE_CHECKING:
    from model.inference import RecordPrediction

logger = logging.getLogger(__name__)

COLORMAP_NAME = "CET-D1A"
"""A diverging map: neuron states are signed, and zero is the neutral middle."""
ROLE_SEPARATOR_COLOR = "#374151"
NO_STATE_FILL = "#f3f4f6"
"""Fill of the plot where the image has no state. Hatching keeps it apart from the pale middle of the colour map."""
NO_STATE_HATCH = "#aeb4bd"
HATCH_TILE_PX = 6
LEGEND_SWATCH_PX = 11
LEGEND_FONT_PT = 8.0
LEGEND_TEXT_COLOR = "#4b5563"
SHIPPED_INPUTS = InputConfig()
"""The input window of the shipped model, which sets where the heatmap has no state."""
NO_STATE_LABEL = "no network input"
NO_STATE_TOOLTIP = (
    "Hatched: no beat's input window covers this time, so the network has no state here. "
    f"Each window runs from {SHIPPED_INPUTS.window_before_s:g} s before to {SHIPPED_INPUTS.window_after_s:g} s "
    "after its R peak, so hatching appears before the first beat, after the last beat and in RR intervals "
    f"longer than {SHIPPED_INPUTS.window_before_s + SHIPPED_INPUTS.window_after_s:g} s. "
    "Beats that the model left unclassified still have states: the network read their window "
    "with the invalid samples set to the baseline."
)
HEATMAP_TOOLTIP_INTRO = (
    "Each row is one neuron's state over time, in the colours of the bar on the right. "
    "Click a row to plot that neuron under the heatmap."
)
PLACEHOLDER_PADDING_PX = 16
"""Space left free on each side of the placeholder text, which wraps to the plot's width less this padding."""
TRACE_HEIGHT_PX = 90
"""Height of the single-neuron trace shown under the heatmap."""


def uniform_state_grid(state_sample: np.ndarray, states: np.ndarray) -> tuple[np.ndarray, float]:
    """Place state columns on an evenly spaced grid of record samples.

    Returns the image (n_columns, n_neurons) and the grid step in record samples.
    Columns that are evenly spaced up to the rounding to whole samples (the
    model rate need not divide the record's fs) pass through unchanged, with a
    fractional step. Otherwise each grid point takes the nearest column within
    half a step, and NaN where there is none.
    """
    state_sample = np.asarray(state_sample, dtype=np.int64)
    if state_sample.size < 2:
        return states, 1.0
    steps = np.diff(state_sample)
    if np.any(steps <= 0):
        raise ValueError("RecordPrediction.state_sample must be strictly increasing.")

    exact_step = (state_sample[-1] - state_sample[0]) / (state_sample.size - 1)
    expected = state_sample[0] + exact_step * np.arange(state_sample.size)
    if np.max(np.abs(state_sample - expected)) <= 1.0:
        return states, float(exact_step)

    step = int(np.median(steps))
    grid = np.arange(state_sample[0], state_sample[-1] + 1, step, dtype=np.int64)
    right = np.clip(np.searchsorted(state_sample, grid), 1, state_sample.size - 1)
    left = right - 1
    nearest = np.where(grid - state_sample[left] <= state_sample[right] - grid, left, right)
    image = states[nearest].copy()
    image[np.abs(state_sample[nearest] - grid) > step / 2] = np.nan
    return image, float(step)


def no_state_brush() -> QtGui.QBrush:
    """Return the hatched brush for areas without a neuron state (a tiled pixmap, so it needs a QGuiApplication)."""
    tile = QtGui.QPixmap(HATCH_TILE_PX, HATCH_TILE_PX)
    tile.fill(QtGui.QColor(NO_STATE_FILL))
    painter = QtGui.QPainter(tile)
    painter.setPen(QtGui.QPen(QtGui.QColor(NO_STATE_HATCH), 1))
    # Corner to corner, so neighbouring tiles join into continuous diagonal lines.
    painter.drawLine(0, HATCH_TILE_PX - 1, HATCH_TILE_PX - 1, 0)
    painter.end()
    return QtGui.QBrush(tile)


class NoStateLegendItem(pg.GraphicsWidget):
    """A hatched swatch and the text that explains it, sized to the colour bar's column."""

    def __init__(self, brush: QtGui.QBrush, width_px: float) -> None:
        super().__init__()
        self.setObjectName("heatmap_no_state_legend")
        self.width_px = width_px
        self.swatch = QtWidgets.QGraphicsRectItem(0.0, 1.0, LEGEND_SWATCH_PX, LEGEND_SWATCH_PX, self)
        self.swatch.setBrush(brush)
        self.swatch.setPen(pg.mkPen("#6b7280"))
        self.text_item = QtWidgets.QGraphicsTextItem(self)
        font = QtGui.QFont()
        font.setPointSizeF(LEGEND_FONT_PT)
        self.text_item.setFont(font)
        self.text_item.setDefaultTextColor(QtGui.QColor(LEGEND_TEXT_COLOR))
        self.text_item.document().setDocumentMargin(0)
        self.text_item.setPos(LEGEND_SWATCH_PX + 4, 0.0)
        self.text_item.setTextWidth(width_px - LEGEND_SWATCH_PX - 4)

    def set_text(self, text: str, tooltip: str) -> None:
        """Show `text` beside the swatch, `tooltip` on hover, and take the height of the wrapped text."""
        self.text_item.setPlainText(text)
        self.setToolTip(tooltip)
        height = max(self.text_item.boundingRect().height(), LEGEND_SWATCH_PX + 1)
        self.setFixedHeight(height)
        self.setFixedWidth(self.width_px)

    def text(self) -> str:
        return self.text_item.toPlainText()


def color_levels(states: np.ndarray) -> tuple[float, float]:
    """Return colour levels from the 1st and 99th percentiles, symmetric about 0 for signed states."""
    step = max(1, states.shape[0] // 50_000)
    finite = states[::step][np.isfinite(states[::step])]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = (float(value) for value in np.percentile(finite, [1, 99]))
    if low < 0 < high:
        bound = max(-low, high)
        return -bound, bound
    if low == high:
        return low - 1.0, high + 1.0
    return low, high


class NeuronHeatmap(pg.GraphicsLayoutWidget):
    """Neuron states as an image whose column k sits at time state_sample[k] / fs."""

    hover_text_changed = QtCore.Signal(str)
    neuron_selected = QtCore.Signal(int)
    """Row of the neuron whose trace is shown, or -1 when the trace is hidden."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent=parent)
        self.setBackground("w")
        self.setObjectName("heatmap_view")
        self.selected_neuron = -1
        self.ci.setContentsMargins(*LAYOUT_MARGINS_PX)
        self.ci.setSpacing(0)
        self.prediction: RecordPrediction | None = None
        self.fs = 1.0
        self.image = np.zeros((0, 0), dtype=np.float32)
        self.no_state_brush = no_state_brush()

        self.plot = self.addPlot(row=0, col=0, axisItems={"bottom": TimeAxisItem()})
        self.plot.setObjectName("heatmap_plot")
        configure_plot_axes(self.plot)
        self.plot.getViewBox().invertY(True)
        self.plot.getViewBox().setBackgroundColor(NO_STATE_FILL)
        self.plot.getAxis("left").setStyle(tickLength=0)

        self.image_item = pg.ImageItem(axisOrder="col-major")
        self.image_item.setObjectName("heatmap_image")
        self.image_item.setAutoDownsample(True)
        self.plot.addItem(self.image_item)

        colormap = pg.colormap.get(COLORMAP_NAME)
        self.color_bar = pg.ColorBarItem(
            values=(-1.0, 1.0),
            colorMap=colormap,
            width=12,
            interactive=False,
            pen="#6b7280",
            label="neuron state",
        )
        self.color_bar.setObjectName("heatmap_color_bar")
        self.color_bar.setImageItem(self.image_item)
        # The legend sits under the colour bar, in the right column, so the plots keep their height.
        right_column = self.addLayout(row=0, col=1)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.setSpacing(6)
        right_column.addItem(self.color_bar, row=0, col=0)
        self.no_state_legend = NoStateLegendItem(self.no_state_brush, RIGHT_COLUMN_WIDTH_PX)
        right_column.addItem(self.no_state_legend, row=1, col=0)
        self.ci.layout.setColumnFixedWidth(1, RIGHT_COLUMN_WIDTH_PX)
        self.set_no_state_text(NO_STATE_LABEL, NO_STATE_TOOLTIP)

        self.placeholder = pg.TextItem(
            "Neuron states appear here once the model has labelled the record.",
            color="#6b7280",
            anchor=(0.5, 0.5),
        )
        self.placeholder.setObjectName("heatmap_placeholder")
        centred = QtGui.QTextOption(QtCore.Qt.AlignmentFlag.AlignHCenter)
        self.placeholder.textItem.document().setDefaultTextOption(centred)
        self.plot.addItem(self.placeholder, ignoreBounds=True)
        self.plot.getViewBox().sigRangeChanged.connect(self._centre_placeholder)
        self.plot.getViewBox().sigResized.connect(self._centre_placeholder)
        self._separators: list[pg.InfiniteLine] = []
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self._build_trace_plot()

    def set_no_state_text(self, label: str, tooltip: str) -> None:
        """Set the text that explains the hatched areas: `label` in the legend, `tooltip` there and on the plot."""
        self.no_state_legend.set_text(label, tooltip)
        self.plot.getViewBox().setToolTip(f"{HEATMAP_TOOLTIP_INTRO}\n\n{tooltip}")

    def _build_trace_plot(self) -> None:
        """Add the single-neuron trace under the heatmap, hidden until a row is clicked."""
        self.trace_plot = self.addPlot(row=1, col=0, axisItems={"bottom": TimeAxisItem()})
        self.trace_plot.setObjectName("neuron_trace_plot")
        configure_plot_axes(self.trace_plot)
        self.trace_plot.setXLink(self.plot)
        self.trace_curve = self.trace_plot.plot(pen=pg.mkPen(ROLE_SEPARATOR_COLOR, width=1.2), connect="finite")
        self.trace_curve.setDownsampling(auto=True, method="peak")
        self.trace_curve.setClipToView(True)
        self.ci.layout.setRowFixedHeight(1, TRACE_HEIGHT_PX)
        self.trace_plot.hide()

    def select_neuron(self, row: int) -> None:
        """Plot neuron `row`'s state over time under the heatmap; -1 (or its own row again) hides it."""
        if self.prediction is None or row == self.selected_neuron or not 0 <= row < self.image.shape[1]:
            row = -1
        self.selected_neuron = row
        if row < 0:
            self.trace_curve.setData([], [])
            self.trace_plot.hide()
        else:
            times_s = np.asarray(self.prediction.state_sample, dtype=np.float64) / self.fs
            self.trace_curve.setData(times_s, np.asarray(self.prediction.states[:, row], dtype=np.float64))
            self.trace_plot.setLabel("left", self.prediction.neuron_names[row])
            self.trace_plot.show()
        self.neuron_selected.emit(row)

    def _on_mouse_clicked(self, event: object) -> None:
        scene_pos = event.scenePos()
        if self.prediction is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return
        row = int(np.floor(self.plot.getViewBox().mapSceneToView(scene_pos).y()))
        self.select_neuron(row)

    def link_x(self, plot: pg.PlotItem, duration_s: float) -> None:
        """Share the X axis of `plot` (the lead column), limited to the record's duration."""
        # Limits first: the previous record's limits would otherwise clamp the range
        # adopted from `plot` (a record shorter than the view left the heatmap at
        # 0-8 s under a 0-10 s waveform).
        self.plot.getViewBox().setLimits(xMin=0.0, xMax=duration_s, maxXRange=duration_s)
        # The range is copied before linking: set on a linked heatmap, it flows back to
        # the waveform rescaled by the two plots' pixel widths, which differ until layout.
        start_s, end_s = plot.getViewBox().viewRange()[0]
        self.plot.setXRange(start_s, end_s, padding=0.0)
        self.plot.setXLink(plot)

    def clear_states(self) -> None:
        """Remove the image and show the placeholder text until the next prediction."""
        self.select_neuron(-1)
        self.prediction = None
        self.image = np.zeros((0, 0), dtype=np.float32)
        self.image_item.clear()
        self.image_item.setVisible(False)
        self._set_neuron_rows([], [])
        # Plain until there are states, so the placeholder text reads on an even fill.
        self.plot.getViewBox().setBackgroundColor(NO_STATE_FILL)
        self.placeholder.setVisible(True)
        self._centre_placeholder()

    def set_prediction(self, prediction: RecordPrediction, fs: float) -> None:
        """Draw the states of `prediction`, with rows grouped by role and named after the neurons."""
        self.prediction = prediction
        self.fs = fs
        self.placeholder.setVisible(False)
        self.plot.getViewBox().setBackgroundColor(self.no_state_brush)

        states = np.asarray(prediction.states, dtype=np.float32)
        self.image, step = uniform_state_grid(prediction.state_sample, states)
        n_columns, n_neurons = self.image.shape
        first_sample = int(prediction.state_sample[0]) if len(prediction.state_sample) else 0

        levels = color_levels(self.image)
        self.image_item.setImage(self.image, autoLevels=False, levels=levels)
        self.image_item.setRect(
            QtCore.QRectF((first_sample - step / 2) / fs, 0.0, n_columns * step / fs, n_neurons)
        )
        self.color_bar.setLevels(levels)
        self.image_item.setVisible(True)
        self._set_neuron_rows(list(prediction.neuron_names), list(prediction.neuron_roles))

        # A neuron chosen before (for example before the lead changed) stays chosen.
        row, self.selected_neuron = self.selected_neuron, -1
        if row >= 0:
            self.select_neuron(row)

    def image_x_extent(self) -> tuple[float, float]:
        """Return the time span (s) that the image covers on the shared axis."""
        rect = self.image_item.mapRectToView(self.image_item.boundingRect())
        return float(rect.left()), float(rect.right())

    def _set_neuron_rows(self, names: list[str], roles: list[str]) -> None:
        for line in self._separators:
            self.plot.removeItem(line)
        self._separators = []

        n_rows = max(len(names), 1)
        self.plot.setYRange(0.0, n_rows, padding=0.0)
        self.plot.getAxis("left").setTicks([[(row + 0.5, name) for row, name in enumerate(names)]])
        for row in range(1, len(roles)):
            if roles[row] != roles[row - 1]:
                line = pg.InfiniteLine(pos=row, angle=0, pen=pg.mkPen(ROLE_SEPARATOR_COLOR, width=1.5))
                self.plot.addItem(line, ignoreBounds=True)
                self._separators.append(line)

    def _centre_placeholder(self, *args: object) -> None:
        view_box = self.plot.getViewBox()
        (x_low, x_high), (y_low, y_high) = view_box.viewRange()
        self.placeholder.setTextWidth(max(view_box.width() - 2 * PLACEHOLDER_PADDING_PX, PLACEHOLDER_PADDING_PX))
        self.placeholder.setPos((x_low + x_high) / 2, (y_low + y_high) / 2)

    def _on_mouse_moved(self, scene_pos: object) -> None:
        if self.prediction is None or not self.plot.sceneBoundingRect().contains(scene_pos):
            return
        point = self.plot.getViewBox().mapSceneToView(scene_pos)
        row = int(np.floor(point.y()))
        names = self.prediction.neuron_names
        if not 0 <= row < len(names):
            return

        left_s, right_s = self.image_x_extent()
        n_columns = self.image.shape[0]
        column = int((point.x() - left_s) / (right_s - left_s) * n_columns) if right_s > left_s else -1
        text = f"{format_clock_time(point.x(), 3)}  {names[row]}"
        if 0 <= column < n_columns and np.isfinite(self.image[column, row]):
            text += f" = {self.image[column, row]:.3f}"
        else:
            text += ": no state (outside the beat windows)"
        self.hover_text_changed.emit(text)
