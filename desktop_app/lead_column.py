"""The stacked ECG leads and the beat-label strip above them, on one shared time axis."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from desktop_app.beat_markers import MODEL_ROW_Y, REFERENCE_ROW_Y, STRIP_Y_RANGE, BeatMarkerLayer
from desktop_app.beat_style import AAMI_COLORS, AAMI_NAMES
from desktop_app.ecg_grid import EcgGridItem
from desktop_app.lead_trace import visible_trace
from desktop_app.overview_strip import OVERVIEW_HEIGHT_PX, OverviewStrip
from desktop_app.paper_scale import paper_span_mv, paper_span_s
from desktop_app.time_axis import TimeAxisItem, format_clock_time
from model.records import AAMI_CLASSES

if TYPE_CHECKING:
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

LEFT_AXIS_WIDTH_PX = 92
"""Width of every left axis, in the leads and in the heatmap, so their time axes line up."""
RIGHT_COLUMN_WIDTH_PX = 84
"""Width of the column right of the plots (beat legend here, colour bar in the heatmap).

The colour bar with its tick labels and title must fit, or the heatmap ends short of the leads.
"""
LAYOUT_MARGINS_PX = (4, 6, 8, 4)
INITIAL_VIEW_S = 10.0
MIN_VIEW_S = 0.25
STRIP_HEIGHT_PX = 52
OVERVIEW_ROW = 0
STRIP_ROW = 1
FIRST_LEAD_ROW = 2
TRACE_COLOR = "#111827"


def robust_y_range(values_mv: np.ndarray) -> tuple[float, float]:
    """Return a fixed display range for one lead that ignores rare artefact spikes."""
    step = max(1, values_mv.size // 200_000)
    finite = values_mv[::step]
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return -1.0, 1.0
    low, high = np.percentile(finite, [0.05, 99.95])
    padding = max(0.1 * (high - low), 0.1)
    return float(low - padding), float(high + padding)


def configure_plot_axes(plot: pg.PlotItem) -> None:
    """Give a plot the fixed left-axis width that keeps all time axes aligned."""
    plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH_PX)
    plot.getViewBox().setMouseEnabled(x=True, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)


class LeadColumn(pg.GraphicsLayoutWidget):
    """Every ECG lead of a record, stacked under a heart-rate overview and the beat-label strip.

    All plots but the overview share the strip's X axis (seconds from the record's start). The
    Y axis of each lead is fixed in mV, so mouse drag and wheel act on time only.
    """

    hover_text_changed = QtCore.Signal(str)
    paper_scale_left = QtCore.Signal()
    """Emitted when a zoom turns paper scale off."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent=parent)
        self.setBackground("w")
        self.setObjectName("lead_column")
        self.ci.setContentsMargins(*LAYOUT_MARGINS_PX)
        self.ci.setSpacing(0)
        self.record: EcgRecord | None = None
        self.strip_plot: pg.PlotItem | None = None
        self.overview: OverviewStrip | None = None
        self.lead_plots: list[pg.PlotItem] = []
        self.lead_curves: list[pg.PlotDataItem] = []
        self.lead_y_ranges: list[tuple[float, float]] = []
        self.trace_gaps: dict[int, list[tuple[int, int]]] = {}
        """Per signal index, [start, stop) sample ranges left out of the lead's curve (an overlay draws them)."""
        self.paper_pixels_per_mm: float | None = None
        """Screen density while paper scale (25 mm/s, 10 mm/mV) is on, else None."""
        self._applying_paper_scale = False
        self.selected_time_s: float | None = None
        """Time in seconds of the beat selected in the review controller, or None when no beat is selected."""
        self.beat_marker_layer = BeatMarkerLayer(self)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    @property
    def x_master_plot(self) -> pg.PlotItem | None:
        """The plot other views link their X axis to."""
        return self.strip_plot

    def set_record(self, record: EcgRecord) -> None:
        """Replace the shown record: build one plot per ECG lead and draw its reference beats."""
        self.clear_record()
        self.record = record

        overview_plot = self.addPlot(row=OVERVIEW_ROW, col=0)
        configure_plot_axes(overview_plot)
        self.overview = OverviewStrip(overview_plot, record)
        self.strip_plot = self._add_strip_plot()
        self.addItem(self._make_legend(), row=STRIP_ROW, col=1)
        self.ci.layout.setColumnFixedWidth(1, RIGHT_COLUMN_WIDTH_PX)
        self.ci.layout.setRowFixedHeight(OVERVIEW_ROW, OVERVIEW_HEIGHT_PX)
        self.ci.layout.setRowFixedHeight(STRIP_ROW, STRIP_HEIGHT_PX)

        self.lead_plots = []
        self.lead_curves = []
        self.lead_y_ranges = []
        for index, channel in enumerate(record.ecg_channels):
            is_last = index == len(record.ecg_channels) - 1
            plot, curve = self._add_lead_plot(record, channel, FIRST_LEAD_ROW + index, show_time_axis=is_last)
            self.lead_plots.append(plot)
            self.lead_curves.append(curve)
            self.lead_y_ranges.append(tuple(plot.getViewBox().viewRange()[1]))
            plot.getViewBox().sigResized.connect(self._apply_paper_scale)
        self.lead_plots[0].getViewBox().sigResized.connect(self._update_lead_traces)

        duration_s = record.duration_s
        for plot in [self.strip_plot, *self.lead_plots]:
            plot.getViewBox().setLimits(
                xMin=0.0, xMax=duration_s, minXRange=min(MIN_VIEW_S, duration_s), maxXRange=duration_s
            )
        self.beat_marker_layer.attach(record, self.strip_plot, self.lead_plots, overview_plot)

        self.strip_plot.getViewBox().sigXRangeChanged.connect(self._on_view_range_changed)
        self.overview.region_moved.connect(self.set_x_range)
        self.set_x_range(0.0, min(INITIAL_VIEW_S, duration_s))
        self._apply_paper_scale()
        self._update_lead_traces()

    def clear_record(self) -> None:
        """Remove every plot. GraphicsLayoutWidget binds `clear` to its layout, so this method has its own name."""
        self.ci.clear()
        self.record = None
        self.strip_plot = None
        self.overview = None
        self.lead_plots = []
        self.lead_curves = []
        self.lead_y_ranges = []
        self.trace_gaps = {}
        self.selected_time_s = None

    def set_trace_gaps(self, channel: int, gaps: list[tuple[int, int]]) -> None:
        """Leave the [start, stop) sample ranges `gaps` out of lead `channel`'s curve, or draw it whole for an empty list."""
        if gaps:
            self.trace_gaps[channel] = list(gaps)
        else:
            self.trace_gaps.pop(channel, None)
        self._update_lead_traces()

    def visible_range(self) -> tuple[float, float]:
        if self.strip_plot is None:
            return 0.0, 0.0
        start_s, end_s = self.strip_plot.getViewBox().viewRange()[0]
        return float(start_s), float(end_s)

    def set_x_range(self, start_s: float, end_s: float) -> None:
        if self.strip_plot is not None:
            self.strip_plot.setXRange(start_s, end_s, padding=0.0)

    def scroll_by(self, fraction: float) -> None:
        """Move the view by `fraction` of its width (negative moves towards the start)."""
        start_s, end_s = self.visible_range()
        shift_s = fraction * (end_s - start_s)
        self.set_x_range(start_s + shift_s, end_s + shift_s)

    def zoom_by(self, factor: float) -> None:
        """Scale the visible time span by `factor` around its centre (below 1 zooms in).

        Zooming turns paper scale off, because paper scale fixes the time span.
        """
        if self.paper_pixels_per_mm is not None:
            self.set_paper_scale(None)
            self.paper_scale_left.emit()
        start_s, end_s = self.visible_range()
        centre_s = (start_s + end_s) / 2
        half_width_s = (end_s - start_s) * factor / 2
        self.set_x_range(centre_s - half_width_s, centre_s + half_width_s)

    def go_to_start(self) -> None:
        start_s, end_s = self.visible_range()
        self.set_x_range(0.0, end_s - start_s)

    def go_to_end(self) -> None:
        if self.record is not None:
            start_s, end_s = self.visible_range()
            self.set_x_range(self.record.duration_s - (end_s - start_s), self.record.duration_s)

    def show_whole_record(self) -> None:
        if self.record is not None:
            self.set_x_range(0.0, self.record.duration_s)

    def set_paper_scale(self, pixels_per_mm: float | None, centre_s: float | None = None) -> None:
        """Show 25 mm/s and 10 mm/mV at `pixels_per_mm` logical pixels per millimetre, or turn it off (None).

        Paper scale centres the view on `centre_s` seconds, by default on the view's
        centre. It stays on through resizes and scrolling, and the mouse wheel cannot
        change it. When a resize changes the time span, the view centres on the
        selected beat if that beat was in view. Turning paper scale off restores each
        lead's own amplitude range.
        """
        self.paper_pixels_per_mm = pixels_per_mm
        if pixels_per_mm is None:
            for plot, y_range in zip(self.lead_plots, self.lead_y_ranges):
                plot.setYRange(*y_range, padding=0.0)
            return
        self._apply_paper_scale(centre_s=centre_s)

    def _apply_paper_scale(self, *args: object, centre_s: float | None = None) -> None:
        pixels_per_mm = self.paper_pixels_per_mm
        if pixels_per_mm is None or self.strip_plot is None or not self.lead_plots or self._applying_paper_scale:
            return
        # Setting the range emits the range signal that calls this method again.
        self._applying_paper_scale = True
        try:
            self._fit_paper_scale(pixels_per_mm, centre_s)
        finally:
            self._applying_paper_scale = False

    def _fit_paper_scale(self, pixels_per_mm: float, centre_s: float | None) -> None:
        """Set the time and amplitude spans of paper scale, centring the time span on `centre_s` when given."""
        width_px = self.lead_plots[0].getViewBox().width()
        if width_px <= 1:
            return
        span_s = paper_span_s(width_px, pixels_per_mm)
        start_s, end_s = self.visible_range()
        if centre_s is None and abs((end_s - start_s) - span_s) > 1e-6 * span_s:
            # A resize, or a mouse-wheel zoom that paper scale undoes, changed the span.
            centre_s = self._paper_refit_centre_s(start_s, end_s)
        if centre_s is not None:
            self.set_x_range(centre_s - span_s / 2, centre_s + span_s / 2)
        for plot in self.lead_plots:
            view_box = plot.getViewBox()
            span_mv = paper_span_mv(view_box.height(), pixels_per_mm)
            low_mv, high_mv = view_box.viewRange()[1]
            if abs((high_mv - low_mv) - span_mv) > 1e-6 * span_mv:
                centre_mv = (low_mv + high_mv) / 2
                plot.setYRange(centre_mv - span_mv / 2, centre_mv + span_mv / 2, padding=0.0)

    def _paper_refit_centre_s(self, start_s: float, end_s: float) -> float:
        """Return the selected beat's time when it lies in [start_s, end_s], else the middle of that range."""
        selected_s = self.selected_time_s
        if selected_s is not None and start_s <= selected_s <= end_s:
            return selected_s
        return (start_s + end_s) / 2

    def _on_view_range_changed(self, view_box: pg.ViewBox, x_range: tuple[float, float]) -> None:
        if self.overview is not None:
            self.overview.show_range(*x_range)
        self._update_lead_traces()
        self._apply_paper_scale()

    def _add_strip_plot(self) -> pg.PlotItem:
        strip = self.addPlot(row=STRIP_ROW, col=0)
        strip.setObjectName("beat_label_strip")
        configure_plot_axes(strip)
        strip.hideAxis("bottom")
        strip.setYRange(*STRIP_Y_RANGE, padding=0.0)
        strip.getAxis("left").setTicks([[(MODEL_ROW_Y, "model"), (REFERENCE_ROW_Y, self._reference_row_name())]])
        strip.getAxis("left").setStyle(tickLength=0)
        strip.setMinimumHeight(STRIP_HEIGHT_PX)
        strip.setMaximumHeight(STRIP_HEIGHT_PX)
        return strip

    def _reference_row_name(self) -> str:
        if self.record is not None and self.record.beats.source != "reference":
            return "detected"
        return "reference"

    def _make_legend(self) -> pg.LabelItem:
        letters = " ".join(
            f'<span style="color:{AAMI_COLORS[letter]}; font-weight:bold">{letter}</span>'
            for letter in AAMI_CLASSES
        )
        legend = pg.LabelItem(letters, size="8pt")
        legend.setObjectName("beat_class_legend")
        # A wider legend would widen the right column and misalign the leads with the heatmap.
        legend.setMinimumWidth(0)
        legend.setMaximumWidth(RIGHT_COLUMN_WIDTH_PX)
        legend.setToolTip("\n".join(f"{letter}: {AAMI_NAMES[letter]}" for letter in AAMI_CLASSES))
        return legend

    def _update_lead_traces(self, *args: object) -> None:
        """Give each lead curve the samples in view, reduced to the plot's width in pixels."""
        if self.record is None or not self.lead_plots:
            return
        start_s, end_s = self.visible_range()
        width_px = self.lead_plots[0].getViewBox().width()
        for curve, channel in zip(self.lead_curves, self.record.ecg_channels):
            time_s, values_mv = visible_trace(self.record.signal[:, channel], self.record.fs, start_s, end_s, width_px)
            gaps = self.trace_gaps.get(channel)
            if gaps:
                # visible_trace may return a view of the record's signal, which must stay untouched.
                values_mv = values_mv.copy()
                for start, stop in gaps:
                    values_mv[(time_s >= start / self.record.fs) & (time_s < stop / self.record.fs)] = np.nan
            curve.setData(time_s, values_mv)

    def _add_lead_plot(
        self, record: EcgRecord, channel: int, row: int, show_time_axis: bool
    ) -> tuple[pg.PlotItem, pg.PlotDataItem]:
        axis_items = {"bottom": TimeAxisItem()} if show_time_axis else None
        plot = self.addPlot(row=row, col=0, axisItems=axis_items)
        plot.setObjectName(f"lead_plot_{record.sig_name[channel]}")
        configure_plot_axes(plot)
        plot.setXLink(self.strip_plot)
        plot.addItem(EcgGridItem(), ignoreBounds=True)
        plot.setLabel("left", record.sig_name[channel], units="mV")
        plot.getAxis("left").enableAutoSIPrefix(False)
        if not show_time_axis:
            plot.hideAxis("bottom")
        self.ci.layout.setRowStretchFactor(row, 1)

        values_mv = record.signal[:, channel]
        # The data comes from _update_lead_traces, which follows the view.
        curve = plot.plot(pen=pg.mkPen(TRACE_COLOR, width=1), connect="finite")
        plot.setYRange(*robust_y_range(values_mv), padding=0.0)
        return plot, curve

    def _on_mouse_moved(self, scene_pos: object) -> None:
        if self.record is None or self.strip_plot is None:
            return
        if self.strip_plot.sceneBoundingRect().contains(scene_pos):
            time_s = self.strip_plot.getViewBox().mapSceneToView(scene_pos).x()
            tolerance_s = 6 * self.strip_plot.getViewBox().viewPixelSize()[0]
            text = self.beat_marker_layer.describe_beat_near(time_s, tolerance_s)
            self.hover_text_changed.emit(text or format_clock_time(time_s, 3))
            return

        for plot, channel in zip(self.lead_plots, self.record.ecg_channels):
            if not plot.sceneBoundingRect().contains(scene_pos):
                continue
            time_s = plot.getViewBox().mapSceneToView(scene_pos).x()
            sample = int(round(time_s * self.record.fs))
            if 0 <= sample < self.record.n_samples:
                value_mv = float(self.record.signal[sample, channel])
                self.hover_text_changed.emit(
                    f"{format_clock_time(time_s, 3)}  {self.record.sig_name[channel]} {value_mv:.3f} mV"
                )
            return
