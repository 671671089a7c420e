"""Vertical bands that mark selected beats across the full height of a plot."""

from __future__ import annotations

import logging

import numpy as np
from PySide6 import QtCore, QtGui

from desktop_app.view_filling_item import ViewFillingItem

logger = logging.getLogger(__name__)


class BeatBandItem(ViewFillingItem):
    """Translucent vertical bands centred on beat times, spanning the view's height.

    Each band is `width_s` wide, but never narrower than `min_width_px` on screen,
    so a single band stays visible when a whole 30-minute record is in view. Only
    the bands inside the visible range are painted, and the item reports no data
    bounds, so it never changes the auto-range of its plot.
    """

    def __init__(
        self,
        times_s: np.ndarray,
        color: QtGui.QColor,
        width_s: float = 0.3,
        min_width_px: float = 3.0,
    ) -> None:
        super().__init__()
        self.times_s = np.sort(np.asarray(times_s, dtype=np.float64))
        self.width_s = width_s
        self.min_width_px = min_width_px
        self._brush = QtGui.QBrush(color)
        self.setZValue(-20)

    def band_count(self) -> int:
        return int(self.times_s.size)

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view_box = self.getViewBox()
        if view_box is None or self.times_s.size == 0:
            return
        view = view_box.viewRect()
        pixel_width = self.pixelWidth() or 0.0
        width_s = max(self.width_s, self.min_width_px * pixel_width)

        first = int(np.searchsorted(self.times_s, view.left() - width_s))
        last = int(np.searchsorted(self.times_s, view.right() + width_s))
        rects = [
            QtCore.QRectF(time_s - width_s / 2, view.top(), width_s, view.height())
            for time_s in self.times_s[first:last]
        ]
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(self._brush)
        painter.drawRects(rects)
