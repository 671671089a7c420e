"""A heart-rate trend of the whole record with a draggable region that marks and moves the detailed view."""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

if TYPE_CHECKING:
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

OVERVIEW_HEIGHT_PX = 50
TREND_COLOR = "#1f2937"
INSTANT_COLOR = "#c7ccd4"
"""Beat-to-beat rate, drawn faintly behind the smoothed trend so ectopic beats still show as spikes."""
SMOOTHING_BEATS = 9
REGION_BRUSH = (47, 109, 181, 50)
REGION_PEN = "#2f6db5"
PLAUSIBLE_BPM = (20.0, 300.0)
"""Heart rates outside this range come from missed or extra beats and are left as gaps."""


def heart_rate_trend(beat_sample: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Return beat times (s) and the instantaneous heart rate 60 / RR (bpm) ending at each beat."""
    beat_sample = np.asarray(beat_sample, dtype=np.int64)
    if beat_sample.size < 2:
        return np.zeros(0), np.zeros(0)
    rr_s = np.diff(beat_sample) / fs
    with np.errstate(divide="ignore"):
        bpm = 60.0 / rr_s
    bpm[(bpm < PLAUSIBLE_BPM[0]) | (bpm > PLAUSIBLE_BPM[1])] = np.nan
    return beat_sample[1:] / fs, bpm


def smoothed_heart_rate(bpm: np.ndarray, window_beats: int = SMOOTHING_BEATS) -> np.ndarray:
    """Return the running median of `bpm` over `window_beats` centred beats, ignoring gaps (NaN).

    A median keeps a premature beat and its compensatory pause from pulling the
    trend. A window with no valid rate stays NaN.
    """
    bpm = np.asarray(bpm, dtype=np.float64)
    if bpm.size == 0:
        return bpm.copy()
    half = window_beats // 2
    padded = np.pad(bpm, half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, as intended
        return np.nanmedian(windows, axis=1)


def nice_bpm_ticks(low: float, high: float) -> list[tuple[float, str]]:
    """Return two round heart-rate ticks inside the range, since the strip is too short for more."""
    for step in (10, 20, 25, 50, 100):
        values = np.arange(np.ceil(low / step) * step, high + 1e-9, step)
        if values.size == 2:
            return [(float(value), f"{value:g} bpm") for value in values]
    middle = round((low + high) / 2)
    return [(float(middle), f"{middle:g} bpm")]


class OverviewStrip(QtCore.QObject):
    """Heart rate over the whole record, and the region of the detailed view on it.

    Dragging the region emits `region_moved`. `show_range` moves the region
    when the detailed view changes without emitting it, so the two never loop.
    """

    region_moved = QtCore.Signal(float, float)
    """The new start and end of the detailed view, in seconds."""

    def __init__(self, plot: pg.PlotItem, record: EcgRecord) -> None:
        super().__init__(plot)
        self.plot = plot
        plot.setObjectName("overview_plot")
        plot.hideAxis("bottom")
        plot.getViewBox().setMouseEnabled(x=False, y=False)
        plot.setMinimumHeight(OVERVIEW_HEIGHT_PX)
        plot.setMaximumHeight(OVERVIEW_HEIGHT_PX)
        plot.setXRange(0.0, record.duration_s, padding=0.0)

        time_s, bpm = heart_rate_trend(record.beats.sample, record.fs)
        self.instant = plot.plot(time_s, bpm, pen=pg.mkPen(INSTANT_COLOR, width=1), connect="finite")
        self.instant.setObjectName("heart_rate_beat_to_beat")
        self.trend = plot.plot(
            time_s, smoothed_heart_rate(bpm), pen=pg.mkPen(TREND_COLOR, width=1.5), connect="finite"
        )
        self.trend.setObjectName("heart_rate_trend")
        for curve in (self.instant, self.trend):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        finite = bpm[np.isfinite(bpm)]
        low, high = (40.0, 120.0) if finite.size == 0 else np.percentile(finite, [0.5, 99.5])
        low, high = float(low) - 5.0, float(high) + 5.0
        plot.setYRange(low, high, padding=0.0)
        plot.getAxis("left").setTicks([nice_bpm_ticks(low, high)])

        self.region = pg.LinearRegionItem(
            values=(0.0, 1.0),
            brush=pg.mkBrush(*REGION_BRUSH),
            pen=pg.mkPen(REGION_PEN, width=1.5),
            bounds=(0.0, record.duration_s),
        )
        self.region.setObjectName("overview_region")
        self.region.setZValue(10)
        plot.addItem(self.region, ignoreBounds=True)
        self._updating = False
        self.region.sigRegionChanged.connect(self._on_region_changed)

    def show_range(self, start_s: float, end_s: float) -> None:
        """Move the region to the detailed view's range without emitting `region_moved`."""
        self._updating = True
        try:
            self.region.setRegion((start_s, end_s))
        finally:
            self._updating = False

    def _on_region_changed(self) -> None:
        if self._updating:
            return
        start_s, end_s = self.region.getRegion()
        self.region_moved.emit(float(start_s), float(end_s))
