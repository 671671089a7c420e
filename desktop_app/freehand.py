"""Freehand redrawing of a lead: a mouse stroke becomes new sample values.

`FreehandCapture` lies over one lead plot while the freehand tool is chosen.
It takes left-button drags (so the plot does not pan), draws the stroke, and
on release emits it in data coordinates (seconds, mV). `stroke_to_samples`
turns a stroke into the region and values of a freehand edit.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui


def stroke_to_samples(times_s: np.ndarray, values_mv: np.ndarray, fs: float, n_samples: int) -> tuple[int, np.ndarray]:
    """Return (start sample, float32 values) for every sample under a stroke.

    The stroke is sorted by time and linearly interpolated at each sample
    between its first and last point, so moving back and forth keeps the later
    point at equal times. Returns an empty array when the stroke covers fewer
    than two samples.
    """
    times_s = np.asarray(times_s, dtype=np.float64)
    values_mv = np.asarray(values_mv, dtype=np.float64)
    order = np.argsort(times_s, kind="stable")
    times_s, values_mv = times_s[order], values_mv[order]

    start = max(0, int(np.ceil(times_s[0] * fs)))
    stop = min(n_samples, int(np.floor(times_s[-1] * fs)) + 1)
    if stop - start < 2:
        return start, np.zeros(0, dtype=np.float32)
    sample_times_s = np.arange(start, stop) / fs
    return start, np.interp(sample_times_s, times_s, values_mv).astype(np.float32)


class FreehandCapture(pg.GraphicsObject):
    """A transparent item over a lead's view that turns left-button drags into strokes."""

    stroke_finished = QtCore.Signal(object, object)
    """Times (s) and values (mV) of the stroke, as float64 arrays in drawing order."""

    def __init__(self, plot: pg.PlotItem, pen: QtGui.QPen) -> None:
        super().__init__()
        self.setObjectName("freehand_capture")
        self.plot = plot
        self._points: list[tuple[float, float]] = []
        self.preview = pg.PlotCurveItem(pen=pen)
        self.preview.setObjectName("freehand_preview")
        self.preview.setZValue(30)
        plot.addItem(self.preview, ignoreBounds=True)
        plot.addItem(self, ignoreBounds=True)
        self.setZValue(25)
        plot.getViewBox().sigRangeChanged.connect(self._on_range_changed)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)

    def boundingRect(self) -> QtCore.QRectF:
        return self.plot.getViewBox().viewRect()

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        """Draw nothing: the stroke is drawn by the preview curve."""

    def _on_range_changed(self, *args: object) -> None:
        self.prepareGeometryChange()

    def mouseDragEvent(self, event: object) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            event.ignore()
            return
        event.accept()
        if event.isStart():
            start = event.buttonDownPos()
            self._points = [(start.x(), start.y())]
        position = event.pos()
        self._points.append((position.x(), position.y()))
        points = np.asarray(self._points)
        self.preview.setData(points[:, 0], points[:, 1])
        if event.isFinish():
            self._points = []
            self.stroke_finished.emit(points[:, 0].copy(), points[:, 1].copy())

    def clear_preview(self) -> None:
        self.preview.setData([], [])

    def remove(self) -> None:
        """Take the capture and its preview out of the plot."""
        self.plot.getViewBox().sigRangeChanged.disconnect(self._on_range_changed)
        self.plot.removeItem(self.preview)
        self.plot.removeItem(self)
