"""The PDF review report draws each strip's whole trace, including tall ventricular complexes.

The tests do not read the PDF back, because that needs QtPdf from
PySide6-Addons. They record what `write_review_pdf` paints while it writes the
real file: the trace polylines, the strip texts and the centred-beat band,
which spans the grid's height.
Records are real MIT-BIH records: 119 and 233 have ventricular beats over
5 mV peak to peak, and the strip of beat 2487 of 203 spans over 6 mV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from desktop_app import review_report
from desktop_app.review_report import (
    GAIN_MM_PER_MV,
    LABEL_BAND_MM,
    MARGIN_MM,
    PAGE_HEIGHT_MM,
    STRIP_GRID_MAX_MM,
    STRIP_GRID_MIN_MM,
    TRACE_MARGIN_MM,
    fit_strip_scale,
    paginate,
    write_review_pdf,
)
from model.records import EcgRecord, load_record
from model.review import Review

DOTS_PER_MM = review_report.RESOLUTION_DPI / 25.4
STRIP_DURATION_S = (210.0 - 2 * MARGIN_MM) / review_report.PAPER_SPEED_MM_PER_S
"""Seconds per strip: the width of an A4 page less its margins, at 25 mm/s."""
TOLERANCE_MM = 0.05


@dataclass
class DrawnStrip:
    """What the report painted for one strip, in mm on its page."""

    grid_top_mm: float
    grid_bottom_mm: float
    trace_mm: list[np.ndarray] = field(default_factory=list)
    """One (n, 2) array of x, y points per polyline."""
    texts: list[str] = field(default_factory=list)


@pytest.fixture
def painted_strips(monkeypatch: pytest.MonkeyPatch) -> list[DrawnStrip]:
    """Record the strips that QPainter draws from now on, in drawing order.

    A strip starts with the centred-beat band. Its text is drawn before the
    band, so each text waits in `pending_texts` until the next band comes.
    """
    strips: list[DrawnStrip] = []
    pending_texts: list[str] = []
    fill_rect = QtGui.QPainter.fillRect
    draw_polyline = QtGui.QPainter.drawPolyline
    draw_text = QtGui.QPainter.drawText

    def spy_fill_rect(painter, rect, *args):
        if isinstance(rect, QtCore.QRectF) and args and args[0] == review_report.CENTRED_BEAT_COLOR:
            strips.append(DrawnStrip(rect.top() / DOTS_PER_MM, rect.bottom() / DOTS_PER_MM, texts=list(pending_texts)))
            pending_texts.clear()
        return fill_rect(painter, rect, *args)

    def spy_draw_polyline(painter, polygon, *args):
        strips[-1].trace_mm.append(np.array([(point.x(), point.y()) for point in polygon]) / DOTS_PER_MM)
        return draw_polyline(painter, polygon, *args)

    def spy_draw_text(painter, *args):
        if isinstance(args[-1], str):
            pending_texts.append(args[-1])
        return draw_text(painter, *args)

    monkeypatch.setattr(QtGui.QPainter, "fillRect", spy_fill_rect)
    monkeypatch.setattr(QtGui.QPainter, "drawPolyline", spy_draw_polyline)
    monkeypatch.setattr(QtGui.QPainter, "drawText", spy_draw_text)
    return strips


def pdf_page_count(path: Path) -> int:
    """Count the page objects of a PDF written by Qt, which stores them uncompressed."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def peak_to_peak_mv(record: EcgRecord, start_s: float, end_s: float) -> float:
    first = max(0, int(np.ceil(start_s * record.fs)))
    last = min(record.n_samples, int(np.floor(end_s * record.fs)) + 1)
    return float(np.ptp(record.model_signal_mv[first:last]))


def sample_range_mv(record: EcgRecord, beat: int) -> tuple[float, float]:
    """Return the smallest and largest peak-to-peak voltage a strip of `beat` can contain.

    The strip's first and last sample may fall one sample period inside or
    outside its edges, so the test brackets the range instead of copying the
    report's rounding.
    """
    centre_s = record.beats.sample[beat] / record.fs
    half_s = STRIP_DURATION_S / 2
    period_s = 1 / record.fs
    inner = peak_to_peak_mv(record, centre_s - half_s + period_s, centre_s + half_s - period_s)
    outer = peak_to_peak_mv(record, centre_s - half_s - period_s, centre_s + half_s + period_s)
    return inner, outer


def tallest_ventricular_beats(record: EcgRecord, count: int) -> list[int]:
    """Return the `count` V beats whose strips span the most millivolts, in beat order."""
    ventricular = np.flatnonzero(record.beats.symbol == "V")
    spans = [sample_range_mv(record, int(beat))[0] for beat in ventricular]
    return sorted(int(beat) for beat in ventricular[np.argsort(spans)[-count:]])


def drawn_span_mm(strip: DrawnStrip) -> tuple[float, float]:
    """Return the top and bottom y of the strip's trace in mm."""
    points = np.concatenate(strip.trace_mm)
    return float(points[:, 1].min()), float(points[:, 1].max())


@pytest.mark.parametrize("record_name", ["119", "233"])
def test_tall_ventricular_complexes_unclipped(qapp, tmp_path, mitdb_dir, painted_strips, record_name):
    record = load_record(mitdb_dir / f"{record_name}.hea")
    review = Review(record, "dr tester")
    beats = tallest_ventricular_beats(record, 6)
    path = tmp_path / "report.pdf"

    assert write_review_pdf(path, review, beats) == len(beats)

    assert path.read_bytes().startswith(b"%PDF")
    assert len(painted_strips) == len(beats)
    for beat, strip in zip(beats, painted_strips):
        inner_mv, outer_mv = sample_range_mv(record, beat)
        # A grid of the minimum height, 40 mm, shows 4 mV at 10 mm/mV, so these traces need taller grids.
        assert inner_mv > 4.5, f"beat {beat} spans only {inner_mv:.2f} mV"
        top_mm, bottom_mm = drawn_span_mm(strip)
        drawn_mm = bottom_mm - top_mm
        assert drawn_mm >= inner_mv * GAIN_MM_PER_MV - TOLERANCE_MM, f"beat {beat}: {drawn_mm:.1f} mm drawn"
        assert drawn_mm <= outer_mv * GAIN_MM_PER_MV + TOLERANCE_MM, f"beat {beat}: {drawn_mm:.1f} mm drawn"
        assert top_mm >= strip.grid_top_mm + LABEL_BAND_MM - TOLERANCE_MM, f"beat {beat} reaches the letter rows"
        assert bottom_mm <= strip.grid_bottom_mm - TRACE_MARGIN_MM + TOLERANCE_MM, f"beat {beat} leaves the grid"
        assert "10 mm/mV" in strip.texts


def test_strips_fit_their_pages(qapp, tmp_path, mitdb_dir, painted_strips):
    record = load_record(mitdb_dir / "119.hea")
    review = Review(record, "dr tester")
    beats = tallest_ventricular_beats(record, 7)
    path = tmp_path / "report.pdf"

    write_review_pdf(path, review, beats)

    # Each grid is over 54 mm tall, so at most three strips fit on a page.
    assert pdf_page_count(path) == 3
    previous_bottom_mm = 0.0
    for strip in painted_strips:
        assert strip.grid_bottom_mm <= PAGE_HEIGHT_MM - MARGIN_MM + TOLERANCE_MM
        assert STRIP_GRID_MIN_MM <= strip.grid_bottom_mm - strip.grid_top_mm <= STRIP_GRID_MAX_MM + TOLERANCE_MM
        if strip.grid_top_mm > previous_bottom_mm:
            assert strip.grid_top_mm - previous_bottom_mm >= review_report.STRIP_TEXT_MM
        previous_bottom_mm = strip.grid_bottom_mm


def test_wide_strip_drawn_at_half_gain(qapp, tmp_path, mitdb_dir, painted_strips):
    record = load_record(mitdb_dir / "203.hea")
    review = Review(record, "dr tester")
    beat = 2486
    inner_mv, outer_mv = sample_range_mv(record, beat)
    assert inner_mv * GAIN_MM_PER_MV + LABEL_BAND_MM + TRACE_MARGIN_MM > STRIP_GRID_MAX_MM

    write_review_pdf(tmp_path / "report.pdf", review, [beat])

    [strip] = painted_strips
    top_mm, bottom_mm = drawn_span_mm(strip)
    assert bottom_mm - top_mm >= inner_mv * 5.0 - TOLERANCE_MM
    assert bottom_mm - top_mm <= outer_mv * 5.0 + TOLERANCE_MM
    assert top_mm >= strip.grid_top_mm + LABEL_BAND_MM - TOLERANCE_MM
    assert bottom_mm <= strip.grid_bottom_mm + TOLERANCE_MM
    assert "Gain 5 mm/mV" in strip.texts


@pytest.mark.parametrize(
    ("range_mv", "gain", "grid_mm"),
    [
        (0.0, 10.0, 40.0),
        (1.5, 10.0, 40.0),
        (5.3, 10.0, 65.0),
        (6.2, 10.0, 75.0),
        (6.4, 5.0, 45.0),
        (12.5, 5.0, 75.0),
        (20.0, 2.5, 65.0),
    ],
)
def test_strip_scale_steps(range_mv, gain, grid_mm):
    values_mv = np.array([np.nan, -0.4, -0.4 + range_mv, 0.1, np.nan])

    scale = fit_strip_scale(values_mv)

    assert scale.gain_mm_per_mv == gain
    assert scale.grid_height_mm == grid_mm
    y_mm = scale.y_mm(values_mv[1:-1], grid_top_mm=100.0)
    assert y_mm.min() >= 100.0 + LABEL_BAND_MM - 1e-9
    assert y_mm.max() <= 100.0 + grid_mm - TRACE_MARGIN_MM + 1e-9


def test_strip_scale_fits_artefact():
    values_mv = np.array([-30.0, 0.0, 30.0])

    scale = fit_strip_scale(values_mv)

    assert scale.grid_height_mm == STRIP_GRID_MAX_MM
    assert scale.gain_mm_per_mv < 2.5
    y_mm = scale.y_mm(values_mv, grid_top_mm=0.0)
    assert y_mm.min() == pytest.approx(LABEL_BAND_MM)
    assert y_mm.max() == pytest.approx(STRIP_GRID_MAX_MM - TRACE_MARGIN_MM)
    assert review_report.format_gain(scale.gain_mm_per_mv) == "1.05 mm/mV"


def test_strip_scale_without_samples():
    scale = fit_strip_scale(np.array([np.nan, np.nan]))

    assert scale.gain_mm_per_mv == GAIN_MM_PER_MV
    assert scale.grid_height_mm == STRIP_GRID_MIN_MM


def test_paginate_by_height():
    assert paginate([40.0] * 11) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10]]
    assert paginate([70.0] * 4) == [[0, 1, 2], [3]]
    assert paginate([40.0, 75.0, 75.0, 40.0]) == [[0, 1, 2], [3]]
    assert paginate([]) == [[]]
