"""The review panel beside the waveform: filters, the beat table, the note field and where the review is saved."""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.beat_table import BEAT_ROLE, BeatFilterProxy, BeatTableModel
from desktop_app.narrow_layout import FlowLayout, WrappingLabel
from model.records import AAMI_CLASSES
from model.review import MIT_BEAT_SYMBOLS, MIT_SYMBOL_NAMES, SYMBOL_TO_AAMI, Review

logger = logging.getLogger(__name__)

ALL_CLASSES_TEXT = "All classes"
DEFAULT_CONFIDENCE_THRESHOLD = 0.8


class NoteEdit(QtWidgets.QLineEdit):
    """The note field. Escape drops the typed text and returns focus to the table."""

    escape_pressed = QtCore.Signal()

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)


class ReviewPanel(QtWidgets.QWidget):
    """Renders a `Review` as a filterable, sortable beat table and edits the selected beat's note and symbol.

    The panel changes the review only through the note field and the MIT symbol
    list; the keyboard verdicts live in `desktop_app.review_controller`.
    """

    beat_selected = QtCore.Signal(int)
    """Beat index of the newly selected row."""
    note_entered = QtCore.Signal(int, str)
    """Beat index and the note typed for it, when the note field is confirmed."""
    symbol_chosen = QtCore.Signal(int, str)
    """Beat index and the MIT symbol picked from the symbol list."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_panel")
        self.review: Review | None = None
        self._note_beat: int | None = None
        self._last_row = 0
        """Row of the latest selection, so a verdict that hides its row can select the next one."""

        self.table_model = BeatTableModel(self)
        self.proxy = BeatFilterProxy(self)
        self.proxy.setSourceModel(self.table_model)

        panel_layout = QtWidgets.QVBoxLayout(self)
        panel_layout.setContentsMargins(4, 4, 4, 4)
        panel_layout.addLayout(self._build_filter_row())
        panel_layout.addWidget(self._build_table(), 1)
        panel_layout.addLayout(self._build_verdict_row())

        self.progress_label = WrappingLabel()
        self.progress_label.setObjectName("review_progress_label")
        panel_layout.addWidget(self.progress_label)
        self.save_location_label = WrappingLabel()
        self.save_location_label.setObjectName("save_location_label")
        self.save_location_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_location_label.setStyleSheet("color: #4b5563;")
        panel_layout.addWidget(self.save_location_label)

    # Building

    def _build_filter_row(self) -> QtWidgets.QLayout:
        # The filters wrap to more rows when the dock is narrow, so the dock can be as narrow as the widest filter.
        filter_row = FlowLayout()
        self.disagreements_filter = QtWidgets.QCheckBox("Disagreements")
        self.disagreements_filter.setObjectName("disagreements_filter")
        self.disagreements_filter.setToolTip("Show only beats where the reference, model and reviewer labels differ")
        self.class_filter = QtWidgets.QComboBox()
        self.class_filter.setObjectName("class_filter")
        self.class_filter.addItems([ALL_CLASSES_TEXT, *AAMI_CLASSES])
        self.class_filter.setToolTip("Show only beats that the reference, the model or the reviewer labels as this class")
        self.confidence_filter = QtWidgets.QCheckBox("Confidence <")
        self.confidence_filter.setObjectName("confidence_filter")
        self.confidence_threshold = QtWidgets.QDoubleSpinBox()
        self.confidence_threshold.setObjectName("confidence_threshold")
        self.confidence_threshold.setRange(0.05, 1.0)
        self.confidence_threshold.setSingleStep(0.05)
        self.confidence_threshold.setValue(DEFAULT_CONFIDENCE_THRESHOLD)
        self.confidence_threshold.setToolTip("Show only beats whose model label has a probability below this value")
        self.unreviewed_filter = QtWidgets.QCheckBox("Unreviewed")
        self.unreviewed_filter.setObjectName("unreviewed_filter")
        self.unreviewed_filter.setToolTip("Show only beats without a reviewer label")

        for widget in (
            self.disagreements_filter,
            self.class_filter,
            self.confidence_filter,
            self.confidence_threshold,
            self.unreviewed_filter,
        ):
            # Keys must reach the window's review shortcuts, not toggle a filter that kept the focus.
            widget.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)

        # The threshold stays beside its check box when the row wraps.
        confidence_pair = QtWidgets.QWidget()
        confidence_layout = QtWidgets.QHBoxLayout(confidence_pair)
        confidence_layout.setContentsMargins(0, 0, 0, 0)
        confidence_layout.setSpacing(2)
        confidence_layout.addWidget(self.confidence_filter)
        confidence_layout.addWidget(self.confidence_threshold)
        for widget in (self.disagreements_filter, self.class_filter, confidence_pair, self.unreviewed_filter):
            filter_row.addWidget(widget)

        self.disagreements_filter.toggled.connect(self._apply_filters)
        self.class_filter.currentTextChanged.connect(self._apply_filters)
        self.confidence_filter.toggled.connect(self._apply_filters)
        self.confidence_threshold.valueChanged.connect(self._apply_filters)
        self.unreviewed_filter.toggled.connect(self._apply_filters)
        return filter_row

    def _build_table(self) -> QtWidgets.QTableView:
        view = QtWidgets.QTableView()
        view.setObjectName("beat_table_view")
        view.setModel(self.proxy)
        # No sort column until the user clicks a header: the source rows are already
        # in beat order, and sorting 109,000 beats of a 24-hour record through
        # Python data() calls took 11 s on a 2-core machine.
        view.horizontalHeader().setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(False)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(22)
        view.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((52, 78, 74, 52, 78, 74)):
            view.setColumnWidth(column, width)
        view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.table_view = view
        return view

    def _build_verdict_row(self) -> QtWidgets.QLayout:
        verdict_row = QtWidgets.QHBoxLayout()
        self.symbol_combo = QtWidgets.QComboBox()
        self.symbol_combo.setObjectName("symbol_combo")
        self.symbol_combo.setToolTip("The reviewer's MIT beat symbol for the selected beat (M)")
        for symbol in MIT_BEAT_SYMBOLS:
            self.symbol_combo.addItem(f"{symbol}  {SYMBOL_TO_AAMI[symbol]}: {MIT_SYMBOL_NAMES[symbol]}", symbol)
        self.symbol_combo.setCurrentIndex(-1)
        self.symbol_combo.setPlaceholderText("MIT symbol")
        # The closed list may be narrower than the longest symbol name, and its popup still shows whole names.
        self.symbol_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.symbol_combo.setMinimumContentsLength(len("MIT symbol"))
        self.symbol_combo.activated.connect(self._on_symbol_activated)

        self.note_edit = NoteEdit()
        self.note_edit.setObjectName("note_edit")
        self.note_edit.setPlaceholderText("Note for the selected beat (E), Enter saves")
        self.note_edit.returnPressed.connect(self._on_note_confirmed)
        self.note_edit.escape_pressed.connect(self._on_note_escape)

        verdict_row.addWidget(self.symbol_combo)
        verdict_row.addWidget(self.note_edit, 1)
        return verdict_row

    # Review

    def set_review(self, review: Review | None) -> None:
        self.review = review
        self._note_beat = None
        self.table_model.set_review(review)
        self._show_beat_details(None)
        self.refresh()

    def refresh(self, beats: list[int] | None = None) -> None:
        """Redraw the rows of `beats` (all when None) and the progress line after the review changed."""
        current = self.current_beat()
        self.table_model.beats_changed(beats)
        if current is not None and self.current_beat() != current:
            # The verdict hid its row (for example under "Unreviewed"), so the row now in its place is selected.
            row = min(self._last_row, self.proxy.rowCount() - 1)
            if row >= 0:
                self.table_view.selectRow(row)
        self._show_beat_details(self.current_beat())
        self._update_progress()

    def set_save_location(self, text: str) -> None:
        self.save_location_label.setText(text)
        self.save_location_label.setToolTip(text)

    # Selection

    def current_beat(self) -> int | None:
        index = self.table_view.selectionModel().currentIndex()
        if not index.isValid() or not self.table_view.selectionModel().isRowSelected(index.row(), QtCore.QModelIndex()):
            return None
        return int(index.data(BEAT_ROLE))

    def select_beat(self, beat: int) -> bool:
        """Select the row of `beat`, clearing the filters when they hide it. Returns False for an unknown beat."""
        if self.review is None or not 0 <= beat < len(self.review):
            return False
        proxy_index = self.proxy.mapFromSource(self.table_model.index(beat, 0))
        if not proxy_index.isValid():
            self.clear_filters()
            proxy_index = self.proxy.mapFromSource(self.table_model.index(beat, 0))
        self.table_view.selectRow(proxy_index.row())
        self.table_view.scrollTo(proxy_index, QtWidgets.QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def select_row(self, row: int) -> None:
        if 0 <= row < self.proxy.rowCount():
            self.table_view.selectRow(row)
            self.table_view.scrollTo(self.proxy.index(row, 0))

    def current_row(self) -> int:
        beat = self.current_beat()
        if beat is None:
            return -1
        return self.proxy.mapFromSource(self.table_model.index(beat, 0)).row()

    def clear_filters(self) -> None:
        for check_box in (self.disagreements_filter, self.confidence_filter, self.unreviewed_filter):
            check_box.setChecked(False)
        self.class_filter.setCurrentText(ALL_CLASSES_TEXT)

    def focus_table(self) -> None:
        self.table_view.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    def focus_note(self) -> None:
        if self.current_beat() is not None:
            self.note_edit.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
            self.note_edit.selectAll()

    def show_symbol_list(self) -> None:
        if self.current_beat() is not None:
            self.symbol_combo.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
            self.symbol_combo.showPopup()

    def _apply_filters(self) -> None:
        class_text = self.class_filter.currentText()
        self.proxy.set_filters(
            disagreements_only=self.disagreements_filter.isChecked(),
            aami_class="" if class_text == ALL_CLASSES_TEXT else class_text,
            max_confidence=self.confidence_threshold.value() if self.confidence_filter.isChecked() else None,
            unreviewed_only=self.unreviewed_filter.isChecked(),
        )
        self._update_progress()

    def _on_current_row_changed(self, current: QtCore.QModelIndex, previous: QtCore.QModelIndex) -> None:
        self._commit_note()
        if not current.isValid():
            self._show_beat_details(None)
            return
        self._last_row = current.row()
        beat = int(current.data(BEAT_ROLE))
        self._show_beat_details(beat)
        self.beat_selected.emit(beat)

    def _show_beat_details(self, beat: int | None) -> None:
        self._note_beat = beat
        verdict = None if beat is None or self.review is None else self.review.verdicts.get(beat)
        self.note_edit.setText("" if verdict is None else verdict.note)
        self.note_edit.setEnabled(beat is not None)
        self.symbol_combo.setEnabled(beat is not None)
        self.symbol_combo.setCurrentIndex(-1 if verdict is None else MIT_BEAT_SYMBOLS.index(verdict.symbol))

    def _update_progress(self) -> None:
        review = self.review
        if review is None:
            self.progress_label.setText("")
            return
        disagreements = review.disagreements()
        reviewed_disagreements = sum(1 for beat in disagreements if beat in review.verdicts)
        self.progress_label.setText(
            f"{self.proxy.rowCount()} of {len(review)} beats shown. "
            f"{reviewed_disagreements} of {len(disagreements)} disagreements reviewed, "
            f"{len(review.verdicts)} verdicts in all."
        )

    # Note and symbol

    def _commit_note(self) -> None:
        """Save the note field for the beat it belongs to, when its text changed."""
        beat = self._note_beat
        if beat is None or self.review is None:
            return
        verdict = self.review.verdicts.get(beat)
        saved_note = "" if verdict is None else verdict.note
        text = self.note_edit.text().strip()
        if text != saved_note:
            self.note_entered.emit(beat, text)

    def _on_note_confirmed(self) -> None:
        self._commit_note()
        self.focus_table()

    def _on_note_escape(self) -> None:
        self._show_beat_details(self._note_beat)
        self.focus_table()

    def _on_symbol_activated(self, row: int) -> None:
        beat = self.current_beat()
        if beat is not None and row >= 0:
            self.symbol_chosen.emit(beat, self.symbol_combo.itemData(row))
        self.focus_table()

