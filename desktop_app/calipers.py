"""Time calipers across the leads: drag either edge to measure an interval (RR, QRS, QT) and its rate."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

if TYPE_CHECKING:
    from desktop_app.lead_column import LeadColumn

logger = logging.getLogger(__name__)

CALIPER_BRUSH = QtGui.QColor(37, 99, 235, 28)
CALIPER_PEN = pg.mkPen(QtGui.QColor(37, 99, 235), width=2)
CALIPER_HOVER_PEN = pg.mkPen(QtGui.QColor(29, 78, 216), width=3)
DEFAULT_WIDTH_S = 0.8
"""Width of new calipers when no two beats are in view to span."""


def format_interval(interval_s: float) -> str:
    """Return the interval in ms and, for intervals of 0.2 s or more, the rate in beats per minute."""
    text = f"{interval_s * 1000:.0f} ms"
    if interval_s >= 0.2:
        text += f", {60.0 / interval_s:.1f} bpm"
    return text


class Calipers(QtCore.QObject):
    """A pair of linked vertical edges drawn over every lead, with the interval written beside them."""

    interval_changed = QtCore.Signal(float)
    """The measured interval in seconds, after every move of an edge."""

    def __init__(self, lead_column: LeadColumn, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.lead_column = lead_column
        self.regions: list[pg.LinearRegionItem] = []
        self.label: pg.TextItem | None = None
        self._syncing = False

    def is_shown(self) -> bool:
        return bool(self.regions)

    def interval_s(self) -> float | None:
        if not self.regions:
            return None
        start_s, end_s = self.regions[0].getRegion()
        return float(end_s - start_s)

    def edges_s(self) -> tuple[float, float] | None:
        if not self.regions:
            return None
        start_s, end_s = self.regions[0].getRegion()
        return float(start_s), float(end_s)

    def show(self, start_s: float | None = None, end_s: float | None = None) -> bool:
        """Draw the calipers from `start_s` to `end_s`, by default over two beats near the view's centre.

        Returns False when no record is shown.
        """
        self.hide()
        lead_column = self.lead_column
        if lead_column.record is None or not lead_column.lead_plots:
            return False
        if start_s is None or end_s is None:
            start_s, end_s = self._default_edges()

        for plot in lead_column.lead_plots:
            region = pg.LinearRegionItem(
                values=(start_s, end_s),
                orientation="vertical",
                brush=CALIPER_BRUSH,
                pen=CALIPER_PEN,
                hoverPen=CALIPER_HOVER_PEN,
                swapMode="sort",
            )
            region.setObjectName("caliper_region")
            region.setZValue(20)
            region.sigRegionChanged.connect(self._on_region_changed)
            plot.addItem(region, ignoreBounds=True)
            self.regions.append(region)

        self.label = pg.TextItem(color=(29, 78, 216), fill=pg.mkBrush(255, 255, 255, 220), anchor=(0, 0))
        self.label.setObjectName("caliper_label")
        self.label.setZValue(30)
        top_plot = lead_column.lead_plots[0]
        top_plot.addItem(self.label, ignoreBounds=True)
        # Scrolling, paper scale and resizes move the view, so the label follows its top edge.
        top_plot.getViewBox().sigRangeChanged.connect(self._update_label)
        self._update_label()
        return True

    def hide(self) -> None:
        """Remove the calipers. Plots already cleared with their record take the items with them."""
        for region in self.regions:
            if region.scene() is not None:
                region.scene().removeItem(region)
        if self.label is not None and self.label.scene() is not None:
            self.label.scene().removeItem(self.label)
        self.regions = []
        self.label = None

    def forget(self) -> None:
        """Drop the references without touching the items, for a record whose plots are already gone."""
        self.regions = []
        self.label = None

    def _default_edges(self) -> tuple[float, float]:
        lead_column = self.lead_column
        record = lead_column.record
        start_s, end_s = lead_column.visible_range()
        centre_s = (start_s + end_s) / 2
        beat_times_s = record.beats.sample / record.fs
        if len(beat_times_s) >= 2:
            # Span the RR interval that starts at the first beat after the view's centre.
            first = int(np.searchsorted(beat_times_s, centre_s))
            first = min(max(first, 0), len(beat_times_s) - 2)
            left_s, right_s = float(beat_times_s[first]), float(beat_times_s[first + 1])
            if start_s <= left_s and right_s <= end_s:
                return left_s, right_s
        width_s = min(DEFAULT_WIDTH_S, (end_s - start_s) / 2)
        return centre_s - width_s / 2, centre_s + width_s / 2

    def _on_region_changed(self, changed: pg.LinearRegionItem) -> None:
        if self._syncing:
            return
        # Moving one region moves the others, whose signals would come back here.
        self._syncing = True
        try:
            edges = changed.getRegion()
            for region in self.regions:
                if region is not changed:
                    region.setRegion(edges)
        finally:
            self._syncing = False
        self._update_label()

    def _update_label(self, *args: object) -> None:
        edges = self.edges_s()
        if edges is None or self.label is None:
            return
        interval_s = edges[1] - edges[0]
        text = format_interval(interval_s)
        if self.label.toPlainText() != text:
            self.label.setText(text)
        (x_low, x_high), (_, y_high) = self.lead_column.lead_plots[0].getViewBox().viewRange()
        # Near the right edge of the view the label goes left of the calipers, so it is not cut off.
        if edges[1] > x_low + 0.75 * (x_high - x_low):
            self.label.setAnchor((1, 0))
            self.label.setPos(edges[0], y_high)
        else:
            self.label.setAnchor((0, 0))
            self.label.setPos(edges[1], y_high)
        self.interval_changed.emit(interval_s)
