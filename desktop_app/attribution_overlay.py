"""The attribution of the selected beat, drawn as a red and blue band behind the model lead.

Each attribution value becomes a vertical band one model sample wide, centred
on that sample's time. Red bands mark samples that raised the chosen class's
log-probability and blue bands samples that lowered it. The opacity grows with
|value|, scaled to the beat's largest |value|.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from desktop_app.view_filling_item import ViewFillingItem

if TYPE_CHECKING:
    from desktop_app.beat_attribution import BeatAttribution

logger = logging.getLogger(__name__)

RAISING_COLOR = (214, 39, 40)
"""Red: the sample pushed the chosen class up."""
LOWERING_COLOR = (31, 100, 214)
"""Blue: the sample pushed the chosen class down."""
MAX_ALPHA = 200
"""Opacity (0-255) of the strongest sample. Fully opaque bands would hide the ECG paper grid."""
WINDOW_COLOR = (107, 114, 128, 28)
"""Faint grey under the whole input window, so its extent shows where the attribution is near 0."""


def attribution_colors(values: np.ndarray, max_alpha: int = MAX_ALPHA) -> np.ndarray:
    """Return uint8 RGBA (n, 4): red for positive values, blue for negative, alpha in proportion to |value|."""
    values = np.asarray(values, dtype=np.float64)
    colors = np.zeros((len(values), 4), dtype=np.uint8)
    colors[:, :3] = np.where(values[:, None] >= 0, RAISING_COLOR, LOWERING_COLOR)

    largest = float(np.abs(values).max(initial=0.0))
    if largest > 0:
        colors[:, 3] = np.round(max_alpha * np.abs(values) / largest).astype(np.uint8)
    return colors


class AttributionBandItem(ViewFillingItem):
    """Coloured vertical bands centred on `times_s`, each `width_s` wide and as tall as the view.

    A faint grey band spans all of them, to show the whole input window. The
    item reports no data bounds, so it never changes the auto-range of its plot.
    """

    def __init__(self, times_s: np.ndarray, width_s: float, colors: np.ndarray) -> None:
        super().__init__()
        self.times_s = np.asarray(times_s, dtype=np.float64)
        self.width_s = float(width_s)
        self.brushes = [QtGui.QBrush(QtGui.QColor(*(int(channel) for channel in color))) for color in colors]
        self.window_brush = QtGui.QBrush(QtGui.QColor(*WINDOW_COLOR))
        # Above the ECG grid (-30), the disagreement bands (-20) and the selected-beat line (-5), which
        # would otherwise hide the attribution at the R peak, and below the trace (0).
        self.setZValue(-4)

    def span_s(self) -> tuple[float, float]:
        """Return the time from the first band's left edge to the last band's right edge, in seconds."""
        return float(self.times_s[0] - self.width_s / 2), float(self.times_s[-1] + self.width_s / 2)

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view_box = self.getViewBox()
        if view_box is None:
            return
        view = view_box.viewRect()
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        first_s, last_s = self.span_s()
        painter.setBrush(self.window_brush)
        painter.drawRect(QtCore.QRectF(first_s, view.top(), last_s - first_s, view.height()))
        for time_s, brush in zip(self.times_s, self.brushes):
            painter.setBrush(brush)
            painter.drawRect(QtCore.QRectF(time_s - self.width_s / 2, view.top(), self.width_s, view.height()))


class AttributionOverlay:
    """The attribution band of the selected beat on the plot of the lead the network reads."""

    def __init__(self) -> None:
        self.item: AttributionBandItem | None = None
        self.plot: pg.PlotItem | None = None
        self.attribution: BeatAttribution | None = None

    def show(self, plot: pg.PlotItem, attribution: BeatAttribution) -> None:
        """Replace the band drawn before, if any, with the band of `attribution` on `plot`."""
        self.clear()
        self.item = AttributionBandItem(
            attribution.sample_times_s(), 1.0 / attribution.model_fs, attribution_colors(attribution.values)
        )
        self.item.setObjectName("attribution_band")
        plot.addItem(self.item, ignoreBounds=True)
        self.plot = plot
        self.attribution = attribution

    def clear(self) -> None:
        """Remove the band. A plot that the lead column has already cleared is left alone."""
        if self.item is not None and self.plot is not None and self.item.scene() is not None:
            self.plot.removeItem(self.item)
        self.item = None
        self.plot = None
        self.attribution = None

    def is_shown(self) -> bool:
        return self.item is not None
