"""The PDF review report: one ECG strip per disagreement on standard ECG paper, drawn with QPdfWriter.

Each strip shows the model's lead centred on the beat at 25 mm/s and 10 mm/mV
on a 1 mm / 5 mm grid. Above the trace are the reference, model and reviewer
labels of every beat in the strip, and the header gives the centred beat's note.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui

from desktop_app.beat_style import AAMI_COLORS
from desktop_app.time_axis import format_clock_time
from model.review import Review, read_model_info

logger = logging.getLogger(__name__)

PAPER_SPEED_MM_PER_S = 25.0
GAIN_MM_PER_MV = 10.0
RESOLUTION_DPI = 300
MARGIN_MM = 10.0
PAGE_HEADER_MM = 13.0
STRIP_TEXT_MM = 9.0
STRIP_GRID_MM = 40.0
"""Grid height: 4 mV at 10 mm/mV, enough for the QRS of most beats around the lead's median."""
STRIP_GAP_MM = 4.0
STRIPS_PER_PAGE = 5
SMALL_BOX_MM = 1.0
LARGE_BOX_MM = 5.0
SMALL_GRID_COLOR = QtGui.QColor(244, 194, 194)
LARGE_GRID_COLOR = QtGui.QColor(222, 120, 120)
CENTRED_BEAT_COLOR = QtGui.QColor(229, 57, 53, 45)


class ReportPainter:
    """Converts millimetres on the page to device units of one QPainter."""

    def __init__(self, painter: QtGui.QPainter, dots_per_mm: float) -> None:
        self.painter = painter
        self.dots_per_mm = dots_per_mm

    def point(self, x_mm: float, y_mm: float) -> QtCore.QPointF:
        return QtCore.QPointF(x_mm * self.dots_per_mm, y_mm * self.dots_per_mm)

    def rect(self, x_mm: float, y_mm: float, width_mm: float, height_mm: float) -> QtCore.QRectF:
        scale = self.dots_per_mm
        return QtCore.QRectF(x_mm * scale, y_mm * scale, width_mm * scale, height_mm * scale)

    def text(self, x_mm: float, y_mm: float, text: str, color: str = "#111827", bold: bool = False) -> None:
        font = self.painter.font()
        font.setBold(bold)
        self.painter.setFont(font)
        self.painter.setPen(QtGui.QColor(color))
        self.painter.drawText(self.point(x_mm, y_mm), text)

    def pen(self, color: QtGui.QColor | str, width_mm: float) -> QtGui.QPen:
        pen = QtGui.QPen(QtGui.QColor(color))
        pen.setWidthF(width_mm * self.dots_per_mm)
        return pen


def write_review_pdf(path: Path, review: Review, beats: list[int] | None = None) -> int:
    """Write one strip per beat in `beats` (default: every disagreement) into a PDF and return the strip count.

    The file is written to a temporary name beside `path` and renamed, so a
    failed export leaves no half-written report.
    """
    path = Path(path)
    beats = review.disagreements() if beats is None else list(beats)
    temporary = path.with_name(f".{path.name}.writing")

    writer = QtGui.QPdfWriter(str(temporary))
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageSize(QtGui.QPageSize(QtGui.QPageSize.PageSizeId.A4))
    writer.setPageOrientation(QtGui.QPageLayout.Orientation.Portrait)
    writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0))
    writer.setTitle(f"Review of record {review.record.record_name}")
    writer.setCreator("Liquid ECG")

    painter = QtGui.QPainter()
    if not painter.begin(writer):
        raise OSError(f"{path}: cannot open the PDF for writing.")
    try:
        report = ReportPainter(painter, RESOLUTION_DPI / 25.4)
        font = painter.font()
        font.setPointSizeF(7.5)
        painter.setFont(font)
        page_width_mm = writer.pageLayout().fullRect(QtGui.QPageLayout.Unit.Millimeter).width()
        n_pages = max(1, math.ceil(len(beats) / STRIPS_PER_PAGE))
        for page in range(n_pages):
            if page:
                writer.newPage()
            _draw_page_header(report, review, page, n_pages, len(beats))
            page_beats = beats[page * STRIPS_PER_PAGE : (page + 1) * STRIPS_PER_PAGE]
            for slot, beat in enumerate(page_beats):
                top_mm = MARGIN_MM + PAGE_HEADER_MM + slot * (STRIP_TEXT_MM + STRIP_GRID_MM + STRIP_GAP_MM)
                _draw_strip(report, review, beat, MARGIN_MM, top_mm, page_width_mm - 2 * MARGIN_MM)
    finally:
        painter.end()
    temporary.replace(path)
    logger.info("wrote %d strips of %s to %s", len(beats), review.record.record_name, path)
    return len(beats)


def _draw_page_header(report: ReportPainter, review: Review, page: int, n_pages: int, n_strips: int) -> None:
    record = review.record
    model = read_model_info()
    report.text(
        MARGIN_MM,
        MARGIN_MM + 3,
        f"Liquid ECG review of record {record.record_name}: {n_strips} disagreements. Page {page + 1} of {n_pages}.",
        bold=True,
    )
    report.text(
        MARGIN_MM,
        MARGIN_MM + 7,
        f"Reviewer {review.reviewer}, updated {review.updated or 'never'}. "
        f"Model {model.name}, weights SHA-256 {model.weights_sha256[:16]}.",
        color="#4b5563",
    )
    report.text(
        MARGIN_MM,
        MARGIN_MM + 11,
        f"Paper 25 mm/s, 10 mm/mV, lead {record.sig_name[record.model_channel]}. Decision support, not a diagnosis.",
        color="#4b5563",
    )


def _draw_strip(report: ReportPainter, review: Review, beat: int, left_mm: float, top_mm: float, width_mm: float) -> None:
    painter = report.painter
    duration_s = width_mm / PAPER_SPEED_MM_PER_S
    centre_s = review.time_s(beat)
    start_s = centre_s - duration_s / 2
    grid_top_mm = top_mm + STRIP_TEXT_MM

    verdict = review.verdicts.get(beat)
    labels = (
        f"Beat {beat + 1} at {format_clock_time(centre_s, 2)}: reference {review.reference[beat] or 'none'}"
        f"{f' ({review.reference_symbol[beat]})' if review.reference[beat] else ''}, "
        f"model {review.model[beat] or 'none'}"
        f"{'' if math.isnan(review.confidence[beat]) else f' (p = {review.confidence[beat]:.2f})'}, "
        f"reviewer {f'{verdict.aami} ({verdict.symbol})' if verdict else 'not reviewed'}"
    )
    report.text(left_mm, top_mm + 3.5, labels, bold=True)
    if verdict is not None and verdict.note:
        report.text(left_mm, top_mm + 7.5, f"Note: {verdict.note}", color="#374151")

    _draw_grid(report, left_mm, grid_top_mm, width_mm, STRIP_GRID_MM)
    painter.fillRect(report.rect(left_mm + width_mm / 2 - 3, grid_top_mm, 6, STRIP_GRID_MM), CENTRED_BEAT_COLOR)
    _draw_trace(report, review, start_s, duration_s, left_mm, grid_top_mm, width_mm)
    _draw_beat_labels(report, review, start_s, duration_s, left_mm, grid_top_mm)


def _draw_grid(report: ReportPainter, left_mm: float, top_mm: float, width_mm: float, height_mm: float) -> None:
    painter = report.painter
    for spacing_mm, pen in (
        (SMALL_BOX_MM, report.pen(SMALL_GRID_COLOR, 0.05)),
        (LARGE_BOX_MM, report.pen(LARGE_GRID_COLOR, 0.12)),
    ):
        painter.setPen(pen)
        for x_mm in np.arange(0.0, width_mm + 1e-6, spacing_mm):
            painter.drawLine(report.point(left_mm + x_mm, top_mm), report.point(left_mm + x_mm, top_mm + height_mm))
        for y_mm in np.arange(0.0, height_mm + 1e-6, spacing_mm):
            painter.drawLine(report.point(left_mm, top_mm + y_mm), report.point(left_mm + width_mm, top_mm + y_mm))


def _draw_trace(
    report: ReportPainter, review: Review, start_s: float, duration_s: float, left_mm: float, top_mm: float, width_mm: float
) -> None:
    """Draw the model lead, centred vertically on its median, with gaps where samples are invalid."""
    record = review.record
    first = max(0, int(math.floor(start_s * record.fs)))
    last = min(record.n_samples, int(math.ceil((start_s + duration_s) * record.fs)) + 1)
    values_mv = record.model_signal_mv[first:last].astype(np.float64)
    if values_mv.size == 0 or not np.isfinite(values_mv).any():
        return
    baseline_mv = float(np.nanmedian(values_mv))
    x_mm = left_mm + (np.arange(first, last) / record.fs - start_s) * PAPER_SPEED_MM_PER_S
    y_mm = top_mm + STRIP_GRID_MM / 2 - (values_mv - baseline_mv) * GAIN_MM_PER_MV
    y_mm = np.clip(y_mm, top_mm, top_mm + STRIP_GRID_MM)

    report.painter.setPen(report.pen("#111827", 0.2))
    finite = np.isfinite(values_mv)
    # Each run of valid samples is one polyline, so invalid samples show as gaps.
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
    for run_start, run_end in zip(edges[::2], edges[1::2]):
        polygon = QtGui.QPolygonF([report.point(x, y) for x, y in zip(x_mm[run_start:run_end], y_mm[run_start:run_end])])
        report.painter.drawPolyline(polygon)


def _draw_beat_labels(
    report: ReportPainter, review: Review, start_s: float, duration_s: float, left_mm: float, top_mm: float
) -> None:
    """Write the reference, model and reviewer letters of each beat in the strip, in three rows."""
    times_s = review.sample / review.record.fs
    in_strip = np.flatnonzero((times_s >= start_s) & (times_s <= start_s + duration_s))
    for beat in in_strip:
        x_mm = left_mm + (times_s[beat] - start_s) * PAPER_SPEED_MM_PER_S - 1.0
        for row, labels in enumerate((review.reference, review.model)):
            letter = labels[beat]
            if letter:
                report.text(x_mm, top_mm + 3 + 3 * row, letter, color=AAMI_COLORS[letter], bold=True)
        reviewer_letter = review.reviewer_label(beat)
        if reviewer_letter:
            report.text(x_mm, top_mm + 9, reviewer_letter, color=AAMI_COLORS[reviewer_letter], bold=True)
    report.text(left_mm + 0.5, top_mm + STRIP_GRID_MM - 1, "rows: reference, model, reviewer", color="#6b7280")
