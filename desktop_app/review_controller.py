"""Connect the review to the main window: the beat-table dock, the Review menu and its keys.

The controller opens (or resumes) the review of each record the window shows
and gives it the model labels when classification finishes. It turns key
presses into verdicts on the Qt-free `model.review.Review`, and keeps the table
selection and the waveform centred on the same beat. Every verdict is saved by the
review's store before the key handler returns.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.review_panel import ReviewPanel
from model.records import AAMI_CLASSES
from desktop_app.review_report import write_review_pdf
from desktop_app.time_axis import format_clock_time
from model.review import Review, ReviewError, ReviewStore, default_reviewer, format_summary, open_review
from model.review_export import write_review_csv

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow
    from model.inference import RecordPrediction
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

REVIEWER_SETTING = "review/reviewer"
SELECTED_BEAT_PEN = pg.mkPen("#0f766e", width=2)
CLICK_TOLERANCE_PX = 8
"""A click on the waveform selects the nearest beat within this many pixels."""
OUT_OF_VIEW_MESSAGE_MS = 5000

CLASS_KEYS = {letter: letter for letter in AAMI_CLASSES}
"""Key of each AAMI class verdict: the class letter itself."""

REVIEW_SHORTCUTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Next disagreement", ("J", ".")),
    ("Previous disagreement", ("K", ",")),
    *((f"Label as {letter}", (key,)) for letter, key in CLASS_KEYS.items()),
    ("Choose the MIT symbol", ("M",)),
    ("Accept the model's label", ("A",)),
    ("Accept the reference label", ("R",)),
    ("Edit the note (Enter saves, Escape cancels)", ("E",)),
    ("Clear the verdict", ("Del", "Backspace")),
)
"""Text and keys of each Review menu action; Help > Keyboard Shortcuts reads them from the menu."""


def user_review_root() -> Path:
    """Return the per-user review folder from QStandardPaths: $XDG_DATA_HOME/liquid-ecg/reviews on Linux.

    `model.review.user_review_root` computes the same folder without Qt, so the
    command line finds reviews that the window saved.
    """
    location = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.GenericDataLocation)
    return Path(location) / "liquid-ecg" / "reviews"


class ReviewController(QtCore.QObject):
    """The review of the record shown in `window`, its dock, its menu and its keys."""

    review_opened = QtCore.Signal(object)
    """The `Review` of the record just opened, with any saved verdicts restored."""
    verdict_saved = QtCore.Signal(int)
    """Beat index whose verdict was just written to disk."""

    def __init__(self, window: MainWindow, fallback_root: Path | None = None) -> None:
        super().__init__(window)
        self.setObjectName("review_controller")
        self.window = window
        self.fallback_root = fallback_root
        self.review: Review | None = None
        self.store: ReviewStore | None = None
        self.selected_beat_lines: list[pg.InfiniteLine] = []
        self._centre_on_selection = True

        self.panel = ReviewPanel()
        self.dock = QtWidgets.QDockWidget("Beats", window)
        self.dock.setObjectName("review_dock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        if hasattr(window, "wiring_dock"):
            # The wiring shares the right column with the beat table, one tab each.
            window.tabifyDockWidget(self.dock, window.wiring_dock)
            self.dock.raise_()
        window.resizeDocks([self.dock], [520], QtCore.Qt.Orientation.Horizontal)

        self._build_menu()
        self.panel.beat_selected.connect(self._on_beat_selected)
        self.panel.note_entered.connect(self._on_note_entered)
        self.panel.symbol_chosen.connect(self._on_symbol_chosen)
        window.record_opened.connect(self.open_review_for)
        window.classification_finished.connect(self.set_prediction)
        window.lead_column.scene().sigMouseClicked.connect(self._on_waveform_clicked)

    @property
    def reviewer(self) -> str:
        return str(self.window.settings.value(REVIEWER_SETTING, default_reviewer()))

    # Record and model

    @QtCore.Slot(object)
    def open_review_for(self, record: EcgRecord) -> None:
        """Resume the saved review of `record`, or start an empty one."""
        fallback_root = self.fallback_root or user_review_root()
        try:
            review, store = open_review(record, reviewer=self.reviewer, fallback_root=fallback_root)
        except (ReviewError, OSError, ValueError) as error:
            self.review, self.store = None, None
            self.panel.set_review(None)
            self.window.show_error(f"{record.header_path}: the saved review cannot be opened ({error}).")
            return

        review.on_change = self._save
        self.review, self.store = review, store
        self.panel.set_review(review)
        self.panel.set_save_location(self._save_location_text())
        self._add_selected_beat_lines()

        resume_beat = review.last_changed_beat()
        if resume_beat is not None:
            self.panel.select_beat(resume_beat)
            self.window.statusBar().showMessage(
                f"Resumed the review: {len(review.verdicts)} verdicts from {store.folder}", 10_000
            )
        elif len(review):
            # The first beat is already in the initial view, so selecting it keeps that view.
            self._centre_on_selection = False
            self.panel.select_beat(0)
            self._centre_on_selection = True
        if store.is_fallback:
            self.window.statusBar().showMessage(self._save_location_text(), 15_000)
        self.panel.focus_table()
        self.review_opened.emit(review)

    @QtCore.Slot(object)
    def set_prediction(self, prediction: RecordPrediction) -> None:
        if self.review is None:
            return
        try:
            self.review.set_model_labels(prediction.predicted, prediction.probabilities)
        except ValueError as error:
            logger.warning("%s: model labels not shown in the beat table (%s)", self.review.record.header_path, error)
            return
        self.panel.refresh()

    def _save_location_text(self) -> str:
        store = self.store
        if store is None:
            return ""
        if store.is_fallback:
            return (
                f"The folder of {store.header_path.name} is read-only, so the review is saved in "
                f"{store.folder} ({store.annotation_path.name}, {store.review_path.name})."
            )
        return f"Saved beside the record: {store.annotation_path.name}, {store.review_path.name} in {store.folder}."

    def _save(self, review: Review) -> None:
        try:
            self.store.save(review)
        except ReviewError as error:
            self.window.show_error(
                f"{error} The verdict is kept in this window only until a later change saves every verdict; "
                "check that the folder is writable and has free space."
            )

    # Verdicts

    def current_beat(self) -> int | None:
        return self.panel.current_beat() if self.review is not None else None

    def label_current(self, aami: str) -> None:
        beat = self.current_beat()
        if beat is not None:
            self._bring_into_view(beat)
            self.review.set_class(beat, aami)
            self._after_verdict(beat)

    def accept_model(self) -> None:
        beat = self.current_beat()
        if beat is None:
            return
        self._bring_into_view(beat)
        if self.review.accept_model(beat) is None:
            self.window.statusBar().showMessage("The model has no label for this beat yet.", 5000)
            return
        self._after_verdict(beat)

    def accept_reference(self) -> None:
        beat = self.current_beat()
        if beat is None:
            return
        self._bring_into_view(beat)
        if self.review.accept_reference(beat) is None:
            self.window.statusBar().showMessage("This beat has no reference label (detected beat).", 5000)
            return
        self._after_verdict(beat)

    def clear_current(self) -> None:
        beat = self.current_beat()
        if beat is not None and beat in self.review.verdicts:
            self._bring_into_view(beat)
            self.review.clear_verdict(beat)
            self._after_verdict(beat)

    def choose_symbol(self) -> None:
        """Open the MIT symbol list for the selected beat, after bringing the beat into view."""
        beat = self.current_beat()
        if beat is not None:
            self._bring_into_view(beat)
        self.panel.show_symbol_list()

    def edit_note(self) -> None:
        """Move the focus to the note field of the selected beat, after bringing the beat into view."""
        beat = self.current_beat()
        if beat is not None:
            self._bring_into_view(beat)
        self.panel.focus_note()

    def go_to_disagreement(self, step: int) -> None:
        """Select the next (`step` 1) or previous (`step` -1) disagreement in the table's row order, wrapping at the ends."""
        if self.review is None:
            return
        proxy = self.panel.proxy
        row = self.panel.current_row()
        if row >= 0:
            row += step
        elif step > 0:
            row = 0
        else:
            row = proxy.rowCount() - 1
        found = self._disagreement_row(row, step)
        if found is not None:
            self.panel.select_row(found)
            return
        # Past the last (or before the first) disagreement, the search wraps around like a text search.
        found = self._disagreement_row(0 if step > 0 else proxy.rowCount() - 1, step)
        if found is None:
            self.window.statusBar().showMessage("No disagreement in the table.", 5000)
            return
        self.panel.select_row(found)
        self.window.statusBar().showMessage(
            "Wrapped to the first disagreement." if step > 0 else "Wrapped to the last disagreement.", 5000
        )

    def _disagreement_row(self, row: int, step: int) -> int | None:
        """Return the first table row from `row` on, in direction `step`, that shows a disagreement."""
        proxy = self.panel.proxy
        while 0 <= row < proxy.rowCount():
            if self.review.is_disagreement(proxy.visible_beat(row)):
                return row
            row += step
        return None

    def _after_verdict(self, beat: int) -> None:
        self.panel.refresh([beat])
        self.verdict_saved.emit(beat)

    def _bring_into_view(self, beat: int) -> None:
        """Centre the waveform on `beat` when it is out of view, so the reviewer can tell which beat a key acts on."""
        time_s = self.review.time_s(beat)
        start_s, end_s = self.window.lead_column.visible_range()
        if start_s <= time_s <= end_s:
            return
        self._centre_view_on(time_s)
        self.window.statusBar().showMessage(
            f"Beat {beat + 1} at {format_clock_time(time_s, 1)} was out of view, so the view moved to it.",
            OUT_OF_VIEW_MESSAGE_MS,
        )

    def _on_note_entered(self, beat: int, note: str) -> None:
        if self.review is not None:
            self.review.set_note(beat, note)
            self._after_verdict(beat)

    def _on_symbol_chosen(self, beat: int, symbol: str) -> None:
        if self.review is not None:
            self.review.set_verdict(beat, symbol)
            self._after_verdict(beat)

    # Selection in the table and in the waveform

    def _on_beat_selected(self, beat: int) -> None:
        """Centre the waveform on `beat`, keeping the zoom, and mark it."""
        if self.review is None:
            return
        time_s = self.review.time_s(beat)
        self.window.lead_column.selected_time_s = time_s
        if self._centre_on_selection:
            self._centre_view_on(time_s)
        for line in self.selected_beat_lines:
            line.setValue(time_s)
            line.show()

    def _centre_view_on(self, time_s: float) -> None:
        """Centre the waveform on `time_s`, keeping the zoom (at least 1 s wide)."""
        start_s, end_s = self.window.lead_column.visible_range()
        half_width_s = max(end_s - start_s, 1.0) / 2
        self.window.lead_column.set_x_range(time_s - half_width_s, time_s + half_width_s)

    def _add_selected_beat_lines(self) -> None:
        lead_column = self.window.lead_column
        self.selected_beat_lines = []
        for plot in [lead_column.strip_plot, *lead_column.lead_plots]:
            if plot is None:
                continue
            line = pg.InfiniteLine(angle=90, movable=False, pen=SELECTED_BEAT_PEN)
            line.setObjectName("selected_beat_line")
            line.setZValue(-5)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self.selected_beat_lines.append(line)

    def _on_waveform_clicked(self, event) -> None:
        """Select the beat nearest a left click on the beat strip or a lead."""
        if self.review is None or len(self.review) == 0 or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        lead_column = self.window.lead_column
        for plot in [lead_column.strip_plot, *lead_column.lead_plots]:
            if plot is None or not plot.sceneBoundingRect().contains(event.scenePos()):
                continue
            view_box = plot.getViewBox()
            time_s = view_box.mapSceneToView(event.scenePos()).x()
            beat = self.beat_near(time_s, CLICK_TOLERANCE_PX * view_box.viewPixelSize()[0])
            if beat is not None:
                self.panel.select_beat(beat)
            return

    def beat_near(self, time_s: float, tolerance_s: float) -> int | None:
        """Return the beat nearest `time_s` when it lies within `tolerance_s`, else None."""
        beat_times_s = self.review.sample / self.review.record.fs
        beat = int(np.argmin(np.abs(beat_times_s - time_s)))
        return beat if abs(beat_times_s[beat] - time_s) <= tolerance_s else None

    # Menu

    def _build_menu(self) -> None:
        menu = self.window.menuBar().addMenu("&Review")
        menu.setObjectName("review_menu")
        handlers = {
            "Next disagreement": lambda: self.go_to_disagreement(1),
            "Previous disagreement": lambda: self.go_to_disagreement(-1),
            "Choose the MIT symbol": self.choose_symbol,
            "Accept the model's label": self.accept_model,
            "Accept the reference label": self.accept_reference,
            "Edit the note (Enter saves, Escape cancels)": self.edit_note,
            "Clear the verdict": self.clear_current,
        }
        for letter in CLASS_KEYS:
            handlers[f"Label as {letter}"] = lambda checked=False, letter=letter: self.label_current(letter)

        self.actions: dict[str, QtGui.QAction] = {}
        for text, keys in REVIEW_SHORTCUTS:
            action = menu.addAction(text)
            action.setShortcuts([QtGui.QKeySequence(key) for key in keys])
            action.triggered.connect(handlers[text])
            self.actions[text] = action
            if text == "Previous disagreement" or text == "Label as Q" or text == "Accept the reference label":
                menu.addSeparator()

        menu.addSeparator()
        menu.addAction("&Summary…", self.show_summary)
        menu.addAction("Export Table as &CSV…", self.export_csv)
        menu.addAction("Export &PDF Report…", self.export_pdf)
        menu.addSeparator()
        reviewer_action = menu.addAction("Reviewer &Name…")
        reviewer_action.triggered.connect(self._ask_reviewer_name)

    # Summary and export

    def show_summary(self) -> QtWidgets.QDialog | None:
        """Open a dialog with the agreement tables of model, reference and reviewer, and return it."""
        if self.review is None:
            return None
        dialog = QtWidgets.QDialog(self.window)
        dialog.setObjectName("review_summary_dialog")
        dialog.setWindowTitle(f"Review summary: {self.review.record.record_name}")
        text = QtWidgets.QPlainTextEdit(format_summary(self.review))
        text.setObjectName("review_summary_text")
        text.setReadOnly(True)
        text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(640, 720)
        dialog.show()
        self.summary_dialog = dialog
        return dialog

    def export_csv(self) -> Path | None:
        """Write the rows the table shows, in their order, to a CSV file the user picks."""
        path = self._ask_export_path("Export beat table", ".csv", "CSV files (*.csv)")
        if path is None:
            return None
        try:
            count = write_review_csv(path, self.review, self.panel.proxy.visible_beats())
        except OSError as error:
            self.window.show_error(f"{path}: writing the CSV file failed ({error}).")
            return None
        self.window.statusBar().showMessage(f"Wrote {count} beats to {path}", 10_000)
        return path

    def export_pdf(self) -> Path | None:
        """Write a PDF report with one ECG strip per disagreement to a file the user picks."""
        path = self._ask_export_path("Export PDF report", "-review.pdf", "PDF files (*.pdf)")
        if path is None:
            return None
        try:
            count = write_review_pdf(path, self.review)
        except OSError as error:
            self.window.show_error(f"{path}: writing the PDF report failed ({error}).")
            return None
        self.window.statusBar().showMessage(f"Wrote {count} disagreement strips to {path}", 10_000)
        return path

    def _ask_export_path(self, title: str, suffix: str, file_filter: str) -> Path | None:
        if self.review is None or self.store is None:
            return None
        suggested = self.store.folder / f"{self.review.record.record_name}{suffix}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, title, str(suggested), file_filter)
        return Path(path) if path else None

    def _ask_reviewer_name(self) -> None:
        name, accepted = QtWidgets.QInputDialog.getText(
            self.window, "Reviewer name", "Name saved with each verdict:", text=self.reviewer
        )
        name = name.strip()
        if accepted and name:
            self.window.settings.setValue(REVIEWER_SETTING, name)
            if self.review is not None:
                self.review.reviewer = name

