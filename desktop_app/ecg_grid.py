"""The ECG paper grid: 0.04 s x 0.1 mV small boxes inside 0.2 s x 0.5 mV large boxes."""

from __future__ import annotations

import logging

import numpy as np
from PySide6 import QtCore, QtGui

from desktop_app.view_filling_item import ViewFillingItem

logger = logging.getLogger(__name__)

SMALL_BOX_S = 0.04
SMALL_BOX_MV = 0.1
LARGE_BOX_S = 0.2
LARGE_BOX_MV = 0.5
MIN_LINE_SPACING_PX = 4.0
"""Lines closer than this on screen are not drawn, so a zoomed-out view stays clean."""
SMALL_BOX_COLOR = QtGui.QColor(244, 194, 194, 110)
LARGE_BOX_COLOR = QtGui.QColor(230, 140, 140, 150)


def grid_positions(low: float, high: float, spacing: float) -> np.ndarray:
    """Return the multiples of `spacing` between `low` and `high`."""
    first = np.ceil(low / spacing)
    last = np.floor(high / spacing)
    return np.arange(first, last + 1) * spacing


class EcgGridItem(ViewFillingItem):
    """Pink paper grid behind a lead, drawn only for the visible range.

    The boxes follow the data units (s, mV). They are 1 mm and 5 mm squares on
    the screen when View > Paper Scale is on (see `desktop_app.paper_scale`).
    """

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(-30)
        self._small_pen = QtGui.QPen(SMALL_BOX_COLOR, 0)
        self._large_pen = QtGui.QPen(LARGE_BOX_COLOR, 0)

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        view_box = self.getViewBox()
        if view_box is None:
            return
        view = view_box.viewRect()
        pixel_width, pixel_height = view_box.viewPixelSize()

        for spacing_s, spacing_mv, pen in (
            (SMALL_BOX_S, SMALL_BOX_MV, self._small_pen),
            (LARGE_BOX_S, LARGE_BOX_MV, self._large_pen),
        ):
            painter.setPen(pen)
            if spacing_s / pixel_width >= MIN_LINE_SPACING_PX:
                lines = [
                    QtCore.QLineF(x, view.top(), x, view.bottom())
                    for x in grid_positions(view.left(), view.right(), spacing_s)
                ]
                painter.drawLines(lines)
            if spacing_mv / pixel_height >= MIN_LINE_SPACING_PX:
                lines = [
                    QtCore.QLineF(view.left(), y, view.right(), y)
                    for y in grid_positions(view.top(), view.bottom(), spacing_mv)
                ]
                painter.drawLines(lines)
