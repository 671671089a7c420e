"""The PDF review report: one ECG strip per disagreement on standard ECG paper, drawn with QPdfWriter.

Each strip shows the model's lead centred on the beat at 25 mm/s on a 1 mm / 5 mm
grid. The grid of each strip is as tall as its trace needs at 10 mm/mV, and a
trace too tall for the largest grid is drawn at a lower gain that the strip
states (see `fit_strip_scale`). Above the trace are the reference, model and
reviewer labels of every beat in the strip, and the header gives the centred
beat's note.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui

from desktop_app.beat_style import AAMI_COLORS
from desktop_app.time_axis import format_clock_time
from model.review import Review, read_model_info

logger = logging.getLogger(__name__)

PAPER_SPEED_MM_PER_S = 25.0
GAIN_MM_PER_MV = 10.0
REDUCED_GAINS_MM_PER_MV = (5.0, 2.5)
"""Gains tried in turn for a trace too tall at 10 mm/mV. 5 mm/mV is the half-standard gain of ECG machines."""
RESOLUTION_DPI = 300
MARGIN_MM = 10.0
PAGE_HEIGHT_MM = 297.0
"""Height of the A4 page the report is written on."""
PAGE_HEADER_MM = 13.0
PAGE_ROOM_MM = PAGE_HEIGHT_MM - 2 * MARGIN_MM - PAGE_HEADER_MM
"""Height left for strips below the page header."""
STRIP_TEXT_MM = 9.0
LABEL_BAND_MM = 10.0
"""Top band of each grid with the three rows of beat letters. The trace is drawn below it."""
TRACE_MARGIN_MM = 2.0
"""Space between the lowest point of the trace and the bottom of the grid."""
STRIP_GRID_MIN_MM = 40.0
"""Smallest grid height, used for small traces so that strips keep one size on most pages."""
STRIP_GRID_MAX_MM = 75.0
"""Largest grid height: three strips of this height with their text still fit on one page."""
STRIP_GAP_MM = 4.0
STRIPS_PER_PAGE = int((PAGE_ROOM_MM + STRIP_GAP_MM) // (STRIP_TEXT_MM + STRIP_GRID_MIN_MM + STRIP_GAP_MM))
"""Strips on a page when every grid has the minimum height. Taller grids leave room for fewer."""
SMALL_BOX_MM = 1.0
LARGE_BOX_MM = 5.0
SMALL_GRID_COLOR = QtGui.QColor(244, 194, 194)
LARGE_GRID_COLOR = QtGui.QColor(222, 120, 120)
CENTRED_BEAT_COLOR = QtGui.QColor(229, 57, 53, 45)


@dataclass(frozen=True)
class StripScale:
    """Vertical scale of one strip: the gain and grid height that fit its whole trace."""

    gain_mm_per_mv: float
    grid_height_mm: float
    centre_mv: float
    """Voltage drawn in the middle of the trace area, the part of the grid below the letter rows."""

    def y_mm(self, values_mv: np.ndarray, grid_top_mm: float) -> np.ndarray:
        """Map voltages in mV to page positions in mm, which grow downwards."""
        trace_height_mm = self.grid_height_mm - LABEL_BAND_MM - TRACE_MARGIN_MM
        middle_mm = grid_top_mm + LABEL_BAND_MM + trace_height_mm / 2
        return middle_mm - (values_mv - self.centre_mv) * self.gain_mm_per_mv


def fit_strip_scale(values_mv: np.ndarray) -> StripScale:
    """Choose the gain and grid height at which every finite sample of a strip is drawn inside its grid.

    The grid grows in 5 mm steps from STRIP_GRID_MIN_MM to STRIP_GRID_MAX_MM so
    that the trace fits at the standard 10 mm/mV. A trace that does not fit even
    then is drawn at 5 or 2.5 mm/mV, as an ECG machine does for large voltages.
    It is not cut flat at the grid edge, because a clipped QRS loses the
    amplitude and shape that the reviewer judges the beat by. The strip states
    its gain. Only a trace spanning over 25 mV, which is an artefact, gets a
    gain below 2.5 mm/mV, chosen to fill the grid.

    The range is the true minimum and maximum, not a percentile, because the
    R or S peak of a QRS lasts only a few samples and is what a percentile cuts.
    """
    finite = values_mv[np.isfinite(values_mv)]
    if finite.size == 0:
        return StripScale(GAIN_MM_PER_MV, STRIP_GRID_MIN_MM, 0.0)
    low_mv = float(finite.min())
    high_mv = float(finite.max())
    range_mv = high_mv - low_mv
    centre_mv = (low_mv + high_mv) / 2
    fixed_mm = LABEL_BAND_MM + TRACE_MARGIN_MM

    for gain in (GAIN_MM_PER_MV, *REDUCED_GAINS_MM_PER_MV):
        needed_mm = fixed_mm + range_mv * gain
        if needed_mm <= STRIP_GRID_MAX_MM:
            grid_mm = max(STRIP_GRID_MIN_MM, LARGE_BOX_MM * math.ceil(needed_mm / LARGE_BOX_MM - 1e-9))
            return StripScale(gain, grid_mm, centre_mv)
    return StripScale((STRIP_GRID_MAX_MM - fixed_mm) / range_mv, STRIP_GRID_MAX_MM, centre_mv)


def format_gain(gain_mm_per_mv: float) -> str:
    """Format a gain as "10 mm/mV", "2.5 mm/mV" or, for a fitted gain, "1.73 mm/mV"."""
    return f"{round(gain_mm_per_mv, 2):g} mm/mV"


@dataclass(frozen=True)
class StripWindow:
    """The stretch of the model lead that one strip shows, centred on its beat."""

    beat: int
    start_s: float
    duration_s: float
    first_sample: int
    values_mv: np.ndarray
    """float64 samples from `first_sample` on, NaN where invalid."""
    scale: StripScale


def strip_window(review: Review, beat: int, width_mm: float) -> StripWindow:
    """Cut the samples of the strip of `beat` at 25 mm/s and fit its vertical scale to them."""
    record = review.record
    duration_s = width_mm / PAPER_SPEED_MM_PER_S
    start_s = review.time_s(beat) - duration_s / 2
    first = max(0, int(math.floor(start_s * record.fs)))
    last = min(record.n_samples, int(math.ceil((start_s + duration_s) * record.fs)) + 1)
    values_mv = record.model_signal_mv[first:last].astype(np.float64)
    return StripWindow(beat, start_s, duration_s, first, values_mv, fit_strip_scale(values_mv))


def paginate(grid_heights_mm: list[float]) -> list[list[int]]:
    """Split strips with these grid heights into pages, in order, as many to a page as fit."""
    pages: list[list[int]] = []
    used_mm = PAGE_ROOM_MM
    for index, grid_mm in enumerate(grid_heights_mm):
        strip_mm = STRIP_TEXT_MM + grid_mm
        if pages and used_mm + STRIP_GAP_MM + strip_mm <= PAGE_ROOM_MM:
            pages[-1].append(index)
            used_mm += STRIP_GAP_MM + strip_mm
        else:
            pages.append([index])
            used_mm = strip_mm
    return pages or [[]]


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

    def text_right(self, right_mm: float, y_mm: float, text: str, color: str = "#111827", bold: bool = False) -> None:
        """Write `text` on the baseline `y_mm` so that it ends at `right_mm`."""
        font = self.painter.font()
        font.setBold(bold)
        width_mm = QtGui.QFontMetricsF(font, self.painter.device()).horizontalAdvance(text) / self.dots_per_mm
        self.text(right_mm - width_mm, y_mm, text, color, bold)

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

    page_width_mm = writer.pageLayout().fullRect(QtGui.QPageLayout.Unit.Millimeter).width()
    strip_width_mm = page_width_mm - 2 * MARGIN_MM
    windows = [strip_window(review, beat, strip_width_mm) for beat in beats]
    pages = paginate([window.scale.grid_height_mm for window in windows])

    painter = QtGui.QPainter()
    if not painter.begin(writer):
        raise OSError(f"{path}: cannot open the PDF for writing.")
    try:
        report = ReportPainter(painter, RESOLUTION_DPI / 25.4)
        font = painter.font()
        font.setPointSizeF(7.5)
        painter.setFont(font)
        for page, strip_indices in enumerate(pages):
            if page:
                writer.newPage()
            _draw_page_header(report, review, page, len(pages), len(beats), page_width_mm)
            top_mm = MARGIN_MM + PAGE_HEADER_MM
            for index in strip_indices:
                _draw_strip(report, review, windows[index], MARGIN_MM, top_mm, strip_width_mm)
                top_mm += STRIP_TEXT_MM + windows[index].scale.grid_height_mm + STRIP_GAP_MM
    finally:
        painter.end()
    temporary.replace(path)
    logger.info("wrote %d strips of %s to %s", len(beats), review.record.record_name, path)
    return len(beats)


def _draw_page_header(
    report: ReportPainter, review: Review, page: int, n_pages: int, n_strips: int, page_width_mm: float
) -> None:
    record = review.record
    model = read_model_info()
    report.text(
        MARGIN_MM,
        MARGIN_MM + 3,
        f"Liquid ECG review of record {record.record_name}: {n_strips} disagreements. Page {page + 1} of {n_pages}.",
        bold=True,
    )
    report.text_right(
        page_width_mm - MARGIN_MM, MARGIN_MM + 3, "Letter rows over each trace: reference, model, reviewer", "#4b5563"
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
        f"Paper 25 mm/s, 10 mm/mV unless a strip states a lower gain, lead {record.sig_name[record.model_channel]}. "
        "Decision support, not a diagnosis.",
        color="#4b5563",
    )


def _draw_strip(
    report: ReportPainter, review: Review, window: StripWindow, left_mm: float, top_mm: float, width_mm: float
) -> None:
    painter = report.painter
    beat = window.beat
    centre_s = review.time_s(beat)
    grid_top_mm = top_mm + STRIP_TEXT_MM
    grid_height_mm = window.scale.grid_height_mm

    verdict = review.verdicts.get(beat)
    labels = (
        f"Beat {beat + 1} at {format_clock_time(centre_s, 2)}: reference {review.reference[beat] or 'none'}"
        f"{f' ({review.reference_symbol[beat]})' if review.reference[beat] else ''}, "
        f"model {review.model[beat] or 'none'}"
        f"{'' if math.isnan(review.confidence[beat]) else f' (p = {review.confidence[beat]:.2f})'}, "
        f"reviewer {f'{verdict.aami} ({verdict.symbol})' if verdict else 'not reviewed'}"
    )
    report.text(left_mm, top_mm + 3.5, labels, bold=True)
    if window.scale.gain_mm_per_mv == GAIN_MM_PER_MV:
        report.text_right(left_mm + width_mm, top_mm + 3.5, format_gain(GAIN_MM_PER_MV), color="#4b5563")
    else:
        report.text_right(
            left_mm + width_mm, top_mm + 3.5, f"Gain {format_gain(window.scale.gain_mm_per_mv)}", "#b91c1c", bold=True
        )
    if verdict is not None and verdict.note:
        report.text(left_mm, top_mm + 7.5, f"Note: {verdict.note}", color="#374151")

    _draw_grid(report, left_mm, grid_top_mm, width_mm, grid_height_mm)
    painter.fillRect(report.rect(left_mm + width_mm / 2 - 3, grid_top_mm, 6, grid_height_mm), CENTRED_BEAT_COLOR)
    _draw_trace(report, review, window, left_mm, grid_top_mm)
    _draw_beat_labels(report, review, window.start_s, window.duration_s, left_mm, grid_top_mm)


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


def _draw_trace(report: ReportPainter, review: Review, window: StripWindow, left_mm: float, top_mm: float) -> None:
    """Draw the model lead at the strip's scale, with gaps where samples are invalid."""
    values_mv = window.values_mv
    if values_mv.size == 0 or not np.isfinite(values_mv).any():
        return
    fs = review.record.fs
    sample_times_s = (window.first_sample + np.arange(values_mv.size)) / fs
    x_mm = left_mm + (sample_times_s - window.start_s) * PAPER_SPEED_MM_PER_S
    y_mm = window.scale.y_mm(values_mv, top_mm)

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
