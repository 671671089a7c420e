"""A base for items that paint over the whole visible part of a plot: the ECG grid and shaded bands."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore


class ViewFillingItem(pg.GraphicsObject):
    """A graphics item whose bounds are the view box's visible rectangle and that repaints when the view moves.

    It adds nothing to the plot's data bounds, so auto-range ignores it.
    """

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange: object = None) -> None:
        return None

    def boundingRect(self) -> QtCore.QRectF:
        view_box = self.getViewBox()
        if view_box is None:
            return QtCore.QRectF()
        return view_box.viewRect()

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()
