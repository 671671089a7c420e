"""Beat labels drawn in a strip above the leads: the model's class and the reference class.

One ScatterPlotItem per AAMI class and row draws every beat with a cached
letter glyph, so the 2,000+ beats of a 30-minute record take about ten
graphics items instead of one text item per beat. Beats where the model and
the reference disagree get a yellow band in the strip, across every lead and in
the overview.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from desktop_app.beat_bands import BeatBandItem
from desktop_app.beat_style import (
    AAMI_COLORS,
    DETECTED_BEAT_COLOR,
    UNCLASSIFIED_COLOR,
    DISAGREEMENT_COLOR,
    DISAGREEMENT_STRIP_COLOR,
    letter_symbol,
)
from model.records import AAMI_CLASSES

if TYPE_CHECKING:
    from model.inference import RecordPrediction
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

UNCLASSIFIED_LETTER = "?"
"""Drawn in the model row for beats the model left unclassified (predicted == -1)."""
MODEL_ROW_Y = 1.5
REFERENCE_ROW_Y = 0.5
STRIP_Y_RANGE = (0.0, 2.0)
LETTER_SIZE_PX = 13
COMPACT_SIZE_PX = 7
"""Size of the dot that replaces a letter when beats are too close on screen for letters."""
MIN_LETTER_SPACING_PX = 15.0
"""Typical beat spacing on screen below which letters would touch, so dots are drawn instead."""


class BeatMarkerLayer(QtCore.QObject):
    """The beat labels of one record, drawn into the strip plot and the lead plots."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beat_marker_layer")
        self.strip_plot: pg.PlotItem | None = None
        self.lead_plots: list[pg.PlotItem] = []
        self.overview_plot: pg.PlotItem | None = None
        self.record: EcgRecord | None = None
        self.prediction: RecordPrediction | None = None
        self.beat_times_s = np.zeros(0)
        self.reference_items: dict[str, pg.ScatterPlotItem] = {}
        self.predicted_items: dict[str, pg.ScatterPlotItem] = {}
        self.disagreement_bands: list[BeatBandItem] = []
        self.disagreement_mask = np.zeros(0, dtype=bool)
        self.compact = False
        """True while beats are drawn as coloured dots because letters would overlap."""
        self._typical_rr_s = np.inf

    def attach(
        self,
        record: EcgRecord,
        strip_plot: pg.PlotItem,
        lead_plots: list[pg.PlotItem],
        overview_plot: pg.PlotItem | None = None,
    ) -> None:
        """Draw the reference labels of `record` into the lead column's strip.

        Disagreement bands go into the strip, the lead plots and the overview.
        """
        self.strip_plot = strip_plot
        self.lead_plots = list(lead_plots)
        self.overview_plot = overview_plot
        self.record = record
        self.prediction = None
        self.beat_times_s = record.beats.sample / record.fs
        self.reference_items = {}
        self.predicted_items = {}
        self.disagreement_bands = []
        self.disagreement_mask = np.zeros(len(record.beats), dtype=bool)
        self.compact = False
        intervals_s = np.diff(self.beat_times_s)
        self._typical_rr_s = float(np.median(intervals_s)) if intervals_s.size else np.inf

        if record.beats.source == "reference":
            self.reference_items = self._add_class_rows(record.beats.aami, REFERENCE_ROW_Y)
        else:
            self.reference_items = {"detected": self._add_detected_row()}
        strip_plot.getViewBox().sigXRangeChanged.connect(self.update_letter_density)
        strip_plot.getViewBox().sigResized.connect(self.update_letter_density)
        self.update_letter_density()

    def update_letter_density(self, *args: object) -> None:
        """Draw letters when the typical beat spacing on screen leaves room for them, else coloured dots."""
        if self.strip_plot is None:
            return
        view_box = self.strip_plot.getViewBox()
        start_s, end_s = view_box.viewRange()[0]
        if end_s <= start_s or view_box.width() <= 0:
            return
        spacing_px = self._typical_rr_s * view_box.width() / (end_s - start_s)
        compact = spacing_px < MIN_LETTER_SPACING_PX
        if compact == self.compact:
            return
        self.compact = compact
        for items in (self.reference_items, self.predicted_items):
            for letter, item in items.items():
                self._set_letter_style(item, letter)

    def _set_letter_style(self, item: pg.ScatterPlotItem, letter: str) -> None:
        if letter == "detected":
            return
        if self.compact:
            item.setSymbol("o")
            item.setSize(COMPACT_SIZE_PX)
        else:
            item.setSymbol(letter_symbol(letter))
            item.setSize(LETTER_SIZE_PX)

    def set_prediction(self, prediction: RecordPrediction) -> None:
        """Draw the model's class for every beat and mark disagreements with the reference."""
        if self.record is None or self.strip_plot is None:
            raise RuntimeError("BeatMarkerLayer.set_prediction called before attach().")
        self.clear_prediction()
        self.prediction = prediction

        predicted = np.asarray(prediction.predicted)
        predicted_times_s = np.asarray(prediction.sample) / self.record.fs
        self.predicted_items = self._add_class_rows(predicted, MODEL_ROW_Y, times_s=predicted_times_s)
        unclassified_times_s = predicted_times_s[predicted < 0]
        self.predicted_items[UNCLASSIFIED_LETTER] = self._add_letters(
            unclassified_times_s, MODEL_ROW_Y, UNCLASSIFIED_LETTER, UNCLASSIFIED_COLOR, "unclassified"
        )
        for letter, item in self.predicted_items.items():
            self._set_letter_style(item, letter)

        if self.record.beats.source != "reference":
            return
        if len(prediction.sample) != len(self.record.beats):
            logger.warning(
                "%s: the model labelled %d beats but the record has %d, so disagreements are not marked",
                self.record.header_path.name,
                len(prediction.sample),
                len(self.record.beats),
            )
            return

        # Unclassified beats (invalid samples in the window) are not disagreements.
        self.disagreement_mask = (predicted >= 0) & (predicted != self.record.beats.aami)
        disagreement_times_s = predicted_times_s[self.disagreement_mask]
        self._add_band(self.strip_plot, disagreement_times_s, DISAGREEMENT_STRIP_COLOR)
        for plot in self.lead_plots:
            self._add_band(plot, disagreement_times_s, DISAGREEMENT_COLOR)
        if self.overview_plot is not None:
            # The bands sit above the trend, because in the overview they mark where to look.
            band = self._add_band(self.overview_plot, disagreement_times_s, DISAGREEMENT_STRIP_COLOR)
            band.setZValue(5)

    def clear_prediction(self) -> None:
        """Remove the model's labels and the disagreement bands, keeping the reference row."""
        for item in self.predicted_items.values():
            self._remove(item)
        for band in self.disagreement_bands:
            self._remove(band)
        self.predicted_items = {}
        self.disagreement_bands = []
        self.disagreement_mask = np.zeros(len(self.beat_times_s), dtype=bool)
        self.prediction = None

    def predicted_marker_count(self) -> int:
        return sum(len(item.data) for item in self.predicted_items.values())

    def reference_marker_count(self) -> int:
        return sum(len(item.data) for item in self.reference_items.values())

    def disagreement_count(self) -> int:
        return int(self.disagreement_mask.sum())

    def describe_beat_near(self, time_s: float, tolerance_s: float) -> str | None:
        """Describe the beat nearest `time_s`, or return None when none is within `tolerance_s`."""
        if self.record is None or self.beat_times_s.size == 0:
            return None
        index = int(np.argmin(np.abs(self.beat_times_s - time_s)))
        if abs(self.beat_times_s[index] - time_s) > tolerance_s:
            return None

        beats = self.record.beats
        parts = [f"beat {index + 1} of {len(beats)}"]
        if beats.source == "reference":
            parts.append(f"reference {AAMI_CLASSES[beats.aami[index]]} ({beats.symbol[index]})")
        else:
            parts.append("detected beat, no reference label")
        if self.prediction is not None and index < len(self.prediction.predicted):
            predicted = int(self.prediction.predicted[index])
            if predicted < 0:
                parts.append("model: unclassifiable (invalid samples in the beat window)")
            else:
                probability = float(self.prediction.probabilities[index, predicted])
                parts.append(f"model {AAMI_CLASSES[predicted]} (p = {probability:.2f})")
        return ", ".join(parts)

    def _add_class_rows(
        self, classes: np.ndarray, row_y: float, times_s: np.ndarray | None = None
    ) -> dict[str, pg.ScatterPlotItem]:
        times_s = self.beat_times_s if times_s is None else times_s
        row_name = "model" if row_y == MODEL_ROW_Y else "reference"
        return {
            letter: self._add_letters(
                times_s[classes == class_index], row_y, letter, AAMI_COLORS[letter], row_name
            )
            for class_index, letter in enumerate(AAMI_CLASSES)
        }

    def _add_letters(
        self, times_s: np.ndarray, row_y: float, letter: str, color: str, row_name: str
    ) -> pg.ScatterPlotItem:
        item = pg.ScatterPlotItem(
            x=times_s,
            y=np.full(times_s.size, row_y),
            symbol=letter_symbol(letter),
            size=LETTER_SIZE_PX,
            pen=None,
            brush=pg.mkBrush(color),
        )
        item.setObjectName(f"beat_letters_{row_name}_{letter}")
        self.strip_plot.addItem(item)
        return item

    def _add_detected_row(self) -> pg.ScatterPlotItem:
        item = pg.ScatterPlotItem(
            x=self.beat_times_s,
            y=np.full(self.beat_times_s.size, REFERENCE_ROW_Y),
            symbol="t1",
            size=9,
            pen=None,
            brush=pg.mkBrush(DETECTED_BEAT_COLOR),
        )
        item.setObjectName("beat_ticks_detected")
        self.strip_plot.addItem(item)
        return item

    def _add_band(self, plot: pg.PlotItem, times_s: np.ndarray, color: QtGui.QColor) -> BeatBandItem:
        band = BeatBandItem(times_s, color)
        plot.addItem(band, ignoreBounds=True)
        self.disagreement_bands.append(band)
        return band

    @staticmethod
    def _remove(item: pg.GraphicsObject) -> None:
        view_box = item.getViewBox()
        if view_box is not None:
            view_box.removeItem(item)
