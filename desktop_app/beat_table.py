"""The beat table: one row per beat of a `Review`, with filters and sorting.

`BeatTableModel` renders the Qt-free `model.review.Review`; `BeatFilterProxy`
hides rows by the review filters and sorts by the raw values, so times and
confidences sort as numbers.
"""

from __future__ import annotations

import logging
import math

from PySide6 import QtCore, QtGui

from desktop_app.beat_style import AAMI_COLORS
from desktop_app.time_axis import format_clock_time
from model.review import Review

logger = logging.getLogger(__name__)

COLUMNS = ("Beat", "Time", "Reference", "Model", "Confidence", "Reviewer", "Note")
BEAT_COLUMN, TIME_COLUMN, REFERENCE_COLUMN, MODEL_COLUMN, CONFIDENCE_COLUMN, REVIEWER_COLUMN, NOTE_COLUMN = range(
    len(COLUMNS)
)
SORT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1
"""Raw value of a cell for sorting: beat index, seconds, label or probability."""
BEAT_ROLE = QtCore.Qt.ItemDataRole.UserRole + 2
"""Beat index of a row, in every column."""
DISAGREEMENT_BACKGROUND = QtGui.QColor(250, 204, 21, 60)


class BeatTableModel(QtCore.QAbstractTableModel):
    """Table model over the beats of one review; call `beats_changed` after the review changes."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.review: Review | None = None

    def set_review(self, review: Review | None) -> None:
        self.beginResetModel()
        self.review = review
        self.endResetModel()

    def beats_changed(self, beats: list[int] | None = None) -> None:
        """Redraw the rows of `beats`, or every row when `beats` is None."""
        if self.review is None or len(self.review) == 0:
            return
        last_column = len(COLUMNS) - 1
        if beats is None:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.review) - 1, last_column))
            return
        for beat in beats:
            self.dataChanged.emit(self.index(beat, 0), self.index(beat, last_column))

    def rowCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:
        if parent.isValid() or self.review is None:
            return 0
        return len(self.review)

    def columnCount(self, parent: QtCore.QModelIndex = QtCore.QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: QtCore.Qt.Orientation, role: int = QtCore.Qt.ItemDataRole.DisplayRole):
        if orientation == QtCore.Qt.Orientation.Horizontal and role == QtCore.Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QtCore.QModelIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.review is None:
            return None
        beat = index.row()
        column = index.column()
        review = self.review

        if role == BEAT_ROLE:
            return beat
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._display(beat, column)
        if role == SORT_ROLE:
            return self._sort_value(beat, column)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole:
            letter = self._class_letter(beat, column)
            return QtGui.QBrush(QtGui.QColor(AAMI_COLORS[letter])) if letter else None
        if role == QtCore.Qt.ItemDataRole.BackgroundRole and review.is_disagreement(beat):
            return QtGui.QBrush(DISAGREEMENT_BACKGROUND)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column in (BEAT_COLUMN, TIME_COLUMN, CONFIDENCE_COLUMN):
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if role == QtCore.Qt.ItemDataRole.ToolTipRole and column == NOTE_COLUMN:
            verdict = review.verdicts.get(beat)
            if verdict is not None and verdict.note:
                return f"{verdict.note}\n({verdict.reviewer}, {verdict.time})"
        return None

    def _class_letter(self, beat: int, column: int) -> str:
        review = self.review
        if column == REFERENCE_COLUMN:
            return review.reference[beat]
        if column == MODEL_COLUMN:
            return review.model[beat]
        if column == REVIEWER_COLUMN:
            return review.reviewer_label(beat)
        return ""

    def _display(self, beat: int, column: int) -> str:
        review = self.review
        verdict = review.verdicts.get(beat)
        if column == BEAT_COLUMN:
            return str(beat + 1)
        if column == TIME_COLUMN:
            return format_clock_time(review.time_s(beat), 2)
        if column == REFERENCE_COLUMN:
            if not review.reference[beat]:
                return "detected"
            return f"{review.reference[beat]} ({review.reference_symbol[beat]})"
        if column == MODEL_COLUMN:
            return review.model[beat]
        if column == CONFIDENCE_COLUMN:
            confidence = review.confidence[beat]
            return "" if math.isnan(confidence) else f"{confidence:.2f}"
        if column == REVIEWER_COLUMN:
            return "" if verdict is None else f"{verdict.aami} ({verdict.symbol})"
        return "" if verdict is None else verdict.note

    def _sort_value(self, beat: int, column: int):
        review = self.review
        if column in (BEAT_COLUMN, TIME_COLUMN):
            return beat
        if column == CONFIDENCE_COLUMN:
            confidence = review.confidence[beat]
            return -1.0 if math.isnan(confidence) else float(confidence)
        return self._display(beat, column)


class BeatFilterProxy(QtCore.QSortFilterProxyModel):
    """Shows the rows that pass every active filter.

    Filters: disagreements only (any two of reference, model and reviewer
    labels differ), one AAMI class (the reference, model or reviewer label is
    that class), model confidence below a threshold, and beats without a verdict.
    """

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.disagreements_only = False
        self.aami_class = ""
        self.max_confidence: float | None = None
        self.unreviewed_only = False

    def set_filters(
        self,
        *,
        disagreements_only: bool | None = None,
        aami_class: str | None = None,
        max_confidence: float | None | bool = False,
        unreviewed_only: bool | None = None,
    ) -> None:
        """Change the given filters and refilter; `max_confidence=None` turns the confidence filter off."""
        self.beginFilterChange()
        if disagreements_only is not None:
            self.disagreements_only = disagreements_only
        if aami_class is not None:
            self.aami_class = aami_class
        if max_confidence is not False:
            self.max_confidence = max_confidence
        if unreviewed_only is not None:
            self.unreviewed_only = unreviewed_only
        self.endFilterChange(QtCore.QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QtCore.QModelIndex) -> bool:
        review = self.sourceModel().review
        if review is None:
            return False
        beat = source_row
        if self.disagreements_only and not review.is_disagreement(beat):
            return False
        if self.unreviewed_only and beat in review.verdicts:
            return False
        if self.aami_class:
            labels = (review.reference[beat], review.model[beat], review.reviewer_label(beat))
            if self.aami_class not in labels:
                return False
        if self.max_confidence is not None:
            confidence = review.confidence[beat]
            if math.isnan(confidence) or confidence >= self.max_confidence:
                return False
        return True

    def visible_beat(self, row: int) -> int:
        """Return the beat index shown in `row` of the proxy."""
        return int(self.index(row, 0).data(BEAT_ROLE))

    def visible_beats(self) -> list[int]:
        """Beat indices of the rows shown, in their displayed order."""
        return [self.visible_beat(row) for row in range(self.rowCount())]
