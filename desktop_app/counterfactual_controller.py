"""Connect the counterfactual editor to the main window: the dock, the Edit menu, the region and the drawing.

The user drags a region on a lead, picks a tool and applies it. Each edit,
undo, redo, reset, search and save runs as a job on the window's
`ModelJobRunner`, on an `EditSessionHolder` that only that job thread
touches. A job returns a `SessionSnapshot`, which the GUI thread draws. The
edited stretches of the lead are pink over the original in thin grey. The
model row of the beat strip shows the labels of the edited signal, a banner
states that the signal is not the recorded one, and a table lists the beats
whose probabilities changed. The record's files are never written.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.banner import keep_from_widening_window
from desktop_app.beat_markers import MODEL_ROW_Y, REFERENCE_ROW_Y
from desktop_app.counterfactual_panel import EDITED_COLOR, ORIGINAL_COLOR, CounterfactualPanel
from desktop_app.counterfactual_session import (
    EditRequest,
    EditSessionHolder,
    EditSummary,
    SearchReport,
    SessionSnapshot,
)
from desktop_app.freehand import FreehandCapture, stroke_to_samples
from desktop_app.state_change_overlay import StateChangeOverlay
from desktop_app.time_axis import format_clock_time
from model.records import AAMI_CLASSES

if TYPE_CHECKING:
    from desktop_app.main_window import MainWindow
    from desktop_app.model_jobs import Job
    from model.inference import RecordPrediction
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

REGION_BEFORE_S = 0.15
REGION_AFTER_S = 0.25
"""The region placed around a selected beat: 150 ms before to 250 ms after its R peak (QRS and ST)."""
SEARCH_BOUND_QRS = 2.0
"""Largest change per sample the search may make, in units of the record's QRS amplitude."""
FOLDER_SETTING = "counterfactual/save_folder"
COUNTERFACTUAL_SUFFIX = "_cf"


class CounterfactualController(QtCore.QObject):
    """The counterfactual editor of the record shown in `window`."""

    edit_shown = QtCore.Signal(object)
    """The `SessionSnapshot` just drawn, after an edit, undo, redo, reset or search."""
    search_finished = QtCore.Signal(object)
    """The `SearchReport` of a finished, cancelled or failed search."""
    saved = QtCore.Signal(object)
    """Header `Path` of a counterfactual record just written."""
    state_change_shown = QtCore.Signal(bool)
    """True when the heatmap shows the change in neuron states, False when it shows the states again."""
    edit_failed = QtCore.Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("counterfactual_controller")
        self.window = window
        self.jobs = window.model_jobs
        self.record: EcgRecord | None = None
        self.holder: EditSessionHolder | None = None
        self.snapshot: SessionSnapshot | None = None
        self.region: pg.LinearRegionItem | None = None
        self.region_channel = -1
        self.freehand: FreehandCapture | None = None
        self.overlay_curves: dict[int, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.last_edit_to_labels_s: float | None = None
        """Seconds from the last Apply to its labels drawn (the editor's responsiveness)."""
        self._pending_jobs = 0
        self._search_cancel: threading.Event | None = None
        self._apply_started: float | None = None
        self._noise_seed = 0
        self._paste_source: int | None = None
        self._last_selected_beat: int | None = None
        self._sized = False
        self._search_target = 0
        self._search_beat = 0

        self.panel = CounterfactualPanel()
        self.dock = QtWidgets.QDockWidget("Counterfactual", window)
        self.dock.setObjectName("counterfactual_dock")
        self.dock.setWidget(self.panel)
        # Below the beat table, so the beats stay in view while editing. The beat detail,
        # when the window has one, shares that place as a tab: both are about the selected beat.
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock, QtCore.Qt.Orientation.Vertical)
        detail_dock = getattr(getattr(window, "beat_detail_controller", None), "dock", None)
        if detail_dock is not None:
            window.tabifyDockWidget(detail_dock, self.dock)
        self.dock.hide()

        self.banner = self._build_banner()
        self.state_overlay = StateChangeOverlay(window.heatmap_view)
        self._build_menu()
        self._connect_panel()
        window.record_opened.connect(self._on_record_opened)
        window.classification_finished.connect(self._on_classified)
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        review = getattr(window, "review_controller", None)
        if review is not None:
            review.panel.beat_selected.connect(self._on_beat_selected)
        self._update_actions()

    # Building

    def _build_banner(self) -> QtWidgets.QLabel:
        banner = QtWidgets.QLabel()
        banner.setObjectName("counterfactual_banner")
        keep_from_widening_window(banner)
        banner.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        banner.setStyleSheet(f"background: {EDITED_COLOR}; color: white; font-weight: bold; padding: 4px;")
        banner.hide()
        self.window.record_page.layout().insertWidget(0, banner)
        return banner

    def _build_menu(self) -> None:
        menu_bar = self.window.menuBar()
        menu = QtWidgets.QMenu("&Edit", menu_bar)
        menu.setObjectName("edit_menu")
        view_action = next((action for action in menu_bar.actions() if action.text() == "&View"), None)
        if view_action is None:
            menu_bar.addMenu(menu)
        else:
            menu_bar.insertMenu(view_action, menu)
        self.menu = menu

        self.undo_action = menu.addAction("&Undo Edit")
        self.undo_action.setObjectName("counterfactual_undo_action")
        self.undo_action.setShortcuts([QtGui.QKeySequence("Ctrl+Z")])
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = menu.addAction("&Redo Edit")
        self.redo_action.setObjectName("counterfactual_redo_action")
        self.redo_action.setShortcuts([QtGui.QKeySequence("Ctrl+Shift+Z"), QtGui.QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(self.redo)
        self.reset_action = menu.addAction("Reset to &Original")
        self.reset_action.setObjectName("counterfactual_reset_action")
        self.reset_action.triggered.connect(self.reset)
        menu.addSeparator()

        self.editor_action = self.dock.toggleViewAction()
        self.editor_action.setText("&Counterfactual Editor")
        self.editor_action.setShortcut(QtGui.QKeySequence("Ctrl+E"))
        self.editor_action.triggered.connect(lambda checked: self.dock.raise_() if checked else None)
        menu.addAction(self.editor_action)
        self.search_action = menu.addAction("&Search Smallest Change")
        self.search_action.triggered.connect(self.start_search)
        self.state_change_action = menu.addAction("Show Change in &Neuron States")
        self.state_change_action.setCheckable(True)
        self.state_change_action.toggled.connect(self.panel.state_change_check.setChecked)
        menu.addSeparator()
        self.save_action = menu.addAction("Save Counterfactual &As…")
        self.save_action.setObjectName("counterfactual_save_action")
        self.save_action.triggered.connect(self.save_as)

    def _connect_panel(self) -> None:
        panel = self.panel
        panel.apply_requested.connect(self.apply_current_tool)
        panel.undo_requested.connect(self.undo)
        panel.redo_requested.connect(self.redo)
        panel.reset_requested.connect(self.reset)
        panel.save_requested.connect(self.save_as)
        panel.region_to_beat_requested.connect(lambda: self.place_region_at_selected_beat())
        panel.lead_chosen.connect(self._on_lead_chosen)
        panel.tool_changed.connect(self._on_tool_changed)
        panel.search_requested.connect(self.start_search)
        panel.search_cancel_requested.connect(self.cancel_search)
        panel.show_state_change_toggled.connect(self._on_state_change_toggled)
        panel.beat_activated.connect(self._on_beat_activated)

    def open_editor(self) -> None:
        """Show the Counterfactual dock in front of any dock it shares a tab group with."""
        self.dock.show()
        self.dock.raise_()

    # Record and model

    @QtCore.Slot(object)
    def _on_record_opened(self, record: EcgRecord) -> None:
        """Start a new, empty session for `record`, and place the region around the beat the review selected.

        The plots were rebuilt, so every item is made again. The window emits
        `record_opened` for a new record and again after a model lead change.
        """
        self.cancel_search()
        self.state_overlay.hide_change()
        self.record = record
        self.holder = EditSessionHolder(record, self._load_classifier)
        self.snapshot = None
        self._last_selected_beat = None
        self._paste_source = None
        self.overlay_curves = {}
        self.region = None
        self.freehand = None
        self.banner.hide()

        lead_column = self.window.lead_column
        self.panel.set_leads([record.sig_name[c] for c in record.ecg_channels], record.ecg_channels, record.model_channel)
        self.panel.set_beat_count(len(record.beats))
        self.panel.set_history([], 0)
        self.panel.set_changed_beats(np.zeros(0), np.zeros(0), np.zeros((0, 5)), np.zeros((0, 5)))
        self.panel.set_status("No edits: the leads show the recorded signal.")
        self.panel.set_search_result("")
        self.panel.set_search_beat("No beat selected.")
        if lead_column.lead_plots:
            self._place_region(record.model_channel, *self._opened_record_region_s(record))
        self._update_actions()

    def _load_classifier(self) -> Any:
        from desktop_app.classify_worker import get_classifier

        return get_classifier(self.window.weights_path)

    @QtCore.Slot(object)
    def _on_classified(self, prediction: RecordPrediction) -> None:
        if self.snapshot is not None and self.snapshot.edit_count:
            self._draw_labels(self.snapshot)
        self._update_search_beat()

    # Region

    def _opened_record_region_s(self, record: EcgRecord) -> tuple[float, float]:
        """Return the region around the beat selected in `record`'s review, or at the record's start without one."""
        # The review controller handles record_opened first, so its selection belongs to `record`
        # unless its review failed to open.
        review_controller = getattr(self.window, "review_controller", None)
        review = review_controller.review if review_controller is not None else None
        beat = review_controller.current_beat() if review is not None and review.record is record else None
        if beat is None:
            return 0.0, min(REGION_BEFORE_S + REGION_AFTER_S, record.duration_s)
        return self._region_around_s(self._beat_time_s(beat))

    def _region_around_s(self, time_s: float) -> tuple[float, float]:
        """Return 150 ms before to 250 ms after `time_s`, cut to the record's bounds."""
        return max(0.0, time_s - REGION_BEFORE_S), min(self.record.duration_s, time_s + REGION_AFTER_S)

    def _place_region(self, channel: int, start_s: float, stop_s: float) -> None:
        """Put the region on lead `channel` over [start_s, stop_s], moving it to that lead's plot if needed."""
        plot = self._lead_plot(channel)
        if plot is None:
            return
        if self.region is not None and self.region_channel != channel:
            old_plot = self.region.getViewBox()
            if old_plot is not None:
                old_plot.removeItem(self.region)
            self.region = None
        if self.region is None:
            color = QtGui.QColor(EDITED_COLOR)
            fill = QtGui.QColor(color)
            fill.setAlpha(38)
            hover = QtGui.QColor(color)
            hover.setAlpha(64)
            region = pg.LinearRegionItem(
                (start_s, stop_s), brush=fill, hoverBrush=hover, pen=pg.mkPen(color, width=1.5),
                bounds=(0.0, self.record.duration_s),
            )
            region.setObjectName("counterfactual_region")
            region.setZValue(10)
            region.sigRegionChanged.connect(self._on_region_changed)
            plot.addItem(region, ignoreBounds=True)
            self.region = region
            self.region_channel = channel
        self.region.setRegion((start_s, stop_s))
        self._on_region_changed()
        self._update_region_visibility()
        self._update_freehand()

    def region_samples(self) -> tuple[int, int]:
        """Return the region as [start, stop) samples at the record's fs."""
        if self.region is None or self.record is None:
            return 0, 0
        start_s, stop_s = self.region.getRegion()
        start = int(np.clip(round(start_s * self.record.fs), 0, self.record.n_samples))
        stop = int(np.clip(round(stop_s * self.record.fs), 0, self.record.n_samples))
        return start, stop

    def set_region_samples(self, channel: int, start: int, stop: int) -> None:
        """Place the region on lead `channel` over samples [start, stop) and choose that lead in the panel."""
        self.panel.lead_combo.setCurrentIndex(self.panel.lead_combo.findData(channel))
        self._place_region(channel, start / self.record.fs, stop / self.record.fs)

    def place_region_at_selected_beat(self, beat: int | None = None) -> None:
        """Place the region from 150 ms before to 250 ms after record beat `beat`, by default the selected one."""
        beat = self._selected_beat() if beat is None else beat
        if beat is None or self.record is None:
            self.window.statusBar().showMessage("Select a beat in the Beats table or the waveform first.", 5000)
            return
        self._place_region(self.panel.lead(), *self._region_around_s(self._beat_time_s(beat)))

    def _on_region_changed(self, *args: object) -> None:
        if self.region is not None:
            self.panel.show_region(*self.region.getRegion())

    def _on_lead_chosen(self, channel: int) -> None:
        if self.region is not None and channel != self.region_channel:
            self._place_region(channel, *self.region.getRegion())

    def _lead_plot(self, channel: int) -> pg.PlotItem | None:
        lead_column = self.window.lead_column
        if self.record is None or channel not in self.record.ecg_channels:
            return None
        index = self.record.ecg_channels.index(channel)
        return lead_column.lead_plots[index] if index < len(lead_column.lead_plots) else None

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        self._update_region_visibility()
        self._update_freehand()
        if not visible or self.record is None:
            return
        review_dock = getattr(getattr(self.window, "review_controller", None), "dock", None)
        if review_dock is not None and not self._sized:
            # The editor needs more height than the beat table while it is open.
            self.window.resizeDocks([review_dock, self.dock], [2, 3], QtCore.Qt.Orientation.Vertical)
            self._sized = True
        if self._selected_beat() is not None:
            self.place_region_at_selected_beat()
        if self.snapshot is None and not self.is_busy():
            self._submit("counterfactual prepare", lambda holder, job: holder.prepare(), self._on_prepared)

    def _on_prepared(self, snapshot: SessionSnapshot) -> None:
        if self.snapshot is None:
            self.snapshot = snapshot
            self._update_actions()

    def _update_region_visibility(self) -> None:
        if self.region is not None:
            self.region.setVisible(self.dock.isVisible() and self.panel.tool() != "freehand")

    # Beats

    def _selected_beat(self) -> int | None:
        review = getattr(self.window, "review_controller", None)
        beat = review.current_beat() if review is not None else None
        # While the table changes rows, the new row is current before it is selected.
        return self._last_selected_beat if beat is None else beat

    def _beat_time_s(self, beat: int) -> float:
        """Return the time of record beat `beat` in the edited signal (a moved beat has moved)."""
        sample = int(self.record.beats.sample[beat])
        if self.snapshot is not None:
            current = np.flatnonzero(self.snapshot.beat_id == beat)
            if current.size:
                sample = int(self.snapshot.beat_sample[current[0]])
        return sample / self.record.fs

    def _on_beat_selected(self, beat: int) -> None:
        if self.record is None or self.record is not self.window.record:
            # The review selects a beat of a new record before this controller has seen the record.
            return
        self._last_selected_beat = beat
        if self.dock.isVisible():
            self.place_region_at_selected_beat(beat)
        self._choose_paste_source(beat)
        self._update_search_beat()

    def _choose_paste_source(self, beat: int) -> None:
        """Offer the nearest other beat that the model labelled N as the shape to paste."""
        prediction = self.window.prediction
        if prediction is None or len(prediction.predicted) != len(self.record.beats):
            return
        normal = np.flatnonzero(np.asarray(prediction.predicted) == AAMI_CLASSES.index("N"))
        normal = normal[normal != beat]
        if normal.size:
            self._paste_source = int(normal[np.argmin(np.abs(normal - beat))])
            if self.panel.tool() == "paste":
                self.panel.set_value(self._paste_source + 1)

    def _update_search_beat(self) -> None:
        beat = self._selected_beat()
        if beat is None or self.record is None:
            self.panel.set_search_beat("No beat selected.")
            return
        text = f"Beat {beat + 1}"
        label = self._current_label(beat)
        if label:
            text += f" (model: {label})"
        self.panel.set_search_beat(text)

    def _current_label(self, beat: int) -> str:
        """Return "V 0.93" for record beat `beat` in the edited signal, or the recorded one without edits."""
        from desktop_app.counterfactual_panel import probability_text

        if self.snapshot is not None:
            current = np.flatnonzero(self.snapshot.beat_id == beat)
            return probability_text(self.snapshot.probabilities[current[0]]) if current.size else "deleted"
        prediction = self.window.prediction
        if prediction is None or beat >= len(prediction.probabilities):
            return ""
        return probability_text(prediction.probabilities[beat])

    def _on_beat_activated(self, beat: int) -> None:
        review = getattr(self.window, "review_controller", None)
        if review is not None and review.panel.select_beat(beat):
            return
        time_s = self._beat_time_s(beat)
        start_s, end_s = self.window.lead_column.visible_range()
        half_width_s = (end_s - start_s) / 2
        self.window.lead_column.set_x_range(time_s - half_width_s, time_s + half_width_s)

    # Tools

    def _on_tool_changed(self, kind: str) -> None:
        if kind == "paste" and self._paste_source is not None:
            self.panel.set_value(self._paste_source + 1)
        self._update_region_visibility()
        self._update_freehand()

    def _update_freehand(self) -> None:
        """Lay the freehand capture over the chosen lead while the freehand tool is chosen."""
        active = self.dock.isVisible() and self.panel.tool() == "freehand" and self.record is not None
        plot = self._lead_plot(self.panel.lead()) if active else None
        if self.freehand is not None and (plot is None or self.freehand.plot is not plot):
            self.freehand.remove()
            self.freehand = None
        if plot is not None and self.freehand is None:
            self.freehand = FreehandCapture(plot, pg.mkPen(EDITED_COLOR, width=2))
            self.freehand.stroke_finished.connect(self._on_stroke_finished)

    def _on_stroke_finished(self, times_s: np.ndarray, values_mv: np.ndarray) -> None:
        start, samples = stroke_to_samples(times_s, values_mv, self.record.fs, self.record.n_samples)
        if samples.size == 0:
            self.freehand.clear_preview()
            self.panel.set_status("Drag further along the lead: the stroke must cover at least two samples.")
            return
        request = EditRequest("freehand", start, start + samples.size, self.panel.lead(), samples=tuple(float(v) for v in samples))
        self.submit_edit(request)

    def current_request(self) -> EditRequest | None:
        """Build the edit that the panel's tool, value and the region describe, or return None for an empty region."""
        start, stop = self.region_samples()
        if stop - start < 2:
            self.panel.set_status("The region is empty: drag its edges apart on the lead.")
            return None
        kind = self.panel.tool()
        value = self.panel.value()
        fs = self.record.fs
        request = EditRequest(kind, start, stop, self.region_channel)
        if kind in ("smooth", "move_beat"):
            request = dataclasses.replace(request, value=float(round(value * fs / 1000)))
        elif kind == "paste":
            request = dataclasses.replace(request, source_beat=int(value) - 1)
        elif kind == "noise":
            self._noise_seed += 1
            request = dataclasses.replace(request, value=value, seed=self._noise_seed)
        else:
            request = dataclasses.replace(request, value=value)
        return request

    def apply_current_tool(self) -> None:
        if self.record is None:
            return
        if self.panel.tool() == "freehand":
            self.panel.set_status("Freehand: drag with the mouse along the lead; the edit applies on release.")
            return
        request = self.current_request()
        if request is not None:
            self.submit_edit(request)

    # Jobs

    def submit_edit(self, request: EditRequest) -> None:
        """Apply `request` in the model job thread and draw the result."""
        self._apply_started = time.perf_counter()
        self._submit("counterfactual edit", lambda holder, job: holder.apply(request), self._show_snapshot)

    def undo(self) -> None:
        if self.snapshot is not None and self.snapshot.edit_count:
            self._submit("counterfactual undo", lambda holder, job: holder.undo(), self._show_snapshot)

    def redo(self) -> None:
        if self.snapshot is not None and self.snapshot.redo_count:
            self._submit("counterfactual redo", lambda holder, job: holder.redo(), self._show_snapshot)

    def reset(self) -> None:
        if self.snapshot is not None and self.snapshot.edit_count:
            self._submit("counterfactual reset", lambda holder, job: holder.reset(), self._show_snapshot)

    def is_busy(self) -> bool:
        """Tell whether one of the editor's jobs has not been delivered yet."""
        return self._pending_jobs > 0

    def _submit(
        self,
        name: str,
        function: Callable[[EditSessionHolder, Job], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None] | None = None,
    ) -> Job | None:
        """Run `function(holder, job)` as a model job; results for a record no longer shown are dropped."""
        holder = self.holder
        if holder is None:
            return None
        self._pending_jobs += 1
        self.panel.set_busy(True)

        def done(result: Any) -> None:
            self._job_ended()
            if holder is self.holder:
                on_done(result)

        def failed(message: str) -> None:
            self._job_ended()
            if holder is self.holder:
                (on_failed or self._show_edit_error)(message)

        return self.jobs.submit(name, lambda job: function(holder, job), done, failed)

    def _job_ended(self) -> None:
        self._pending_jobs -= 1
        if self._pending_jobs == 0:
            self.panel.set_busy(False)
            self._update_actions()

    def _show_edit_error(self, message: str) -> None:
        # Job errors read "EditError: <reason>", and the user needs only the reason.
        reason = message.split(": ", 1)[1] if message.startswith("EditError: ") else message
        text = f"The edit was not applied: {reason}"
        self.panel.set_status(text)
        self.window.statusBar().showMessage(text, 10_000)
        if self.freehand is not None:
            self.freehand.clear_preview()
        self.edit_failed.emit(text)

    # Drawing

    def _show_snapshot(self, snapshot: SessionSnapshot) -> None:
        self.snapshot = snapshot
        self._draw_signal(snapshot)
        self._draw_labels(snapshot)
        self._fill_panel(snapshot)
        if self.freehand is not None:
            self.freehand.clear_preview()
        if self._apply_started is not None:
            self.last_edit_to_labels_s = time.perf_counter() - self._apply_started
            self._apply_started = None
        self._update_actions()
        self._update_search_beat()
        self.edit_shown.emit(snapshot)
        if self.panel.state_change_check.isChecked():
            self._request_state_change()

    def _draw_signal(self, snapshot: SessionSnapshot) -> None:
        """Draw each edited lead with its edited stretches in pink over the original in thin grey."""
        # NOTE: the hover readout of the leads still gives the recorded mV inside edited stretches.
        lead_column = self.window.lead_column
        for index, channel in enumerate(self.record.ecg_channels):
            if index >= len(lead_column.lead_plots):
                break
            spans = [span for span in snapshot.spans if span.channel == channel]
            if not spans:
                if channel in self.overlay_curves:
                    lead_column.set_trace_gaps(channel, [])
                    for item in self.overlay_curves.pop(channel):
                        lead_column.lead_plots[index].removeItem(item)
                continue

            # The lead's own curve leaves a gap where the overlay draws, so the
            # recorded trace there is only the thin grey line.
            lead_column.set_trace_gaps(channel, [(span.start, span.start + len(span.edited_mv)) for span in spans])
            original_curve, edited_curve = self._overlay_curves(index, channel)
            times_s, original_mv, edited_mv = _joined_spans(spans, self.record.fs)
            original_curve.setData(times_s, original_mv)
            edited_curve.setData(times_s, edited_mv)

    def _overlay_curves(self, index: int, channel: int) -> tuple[pg.PlotDataItem, pg.PlotDataItem]:
        if channel not in self.overlay_curves:
            plot = self.window.lead_column.lead_plots[index]
            original_curve = pg.PlotDataItem(pen=pg.mkPen(ORIGINAL_COLOR, width=1), connect="finite")
            original_curve.setObjectName("counterfactual_original_curve")
            edited_curve = pg.PlotDataItem(pen=pg.mkPen(EDITED_COLOR, width=1.8), connect="finite")
            edited_curve.setObjectName("counterfactual_edited_curve")
            original_curve.setZValue(5)
            edited_curve.setZValue(6)
            plot.addItem(original_curve)
            plot.addItem(edited_curve)
            self.overlay_curves[channel] = (original_curve, edited_curve)
        return self.overlay_curves[channel]

    def _draw_labels(self, snapshot: SessionSnapshot) -> None:
        """Draw the edited signal's labels in the model row, or the recorded prediction when nothing is edited."""
        layer = self.window.lead_column.beat_marker_layer
        prediction = self.window.prediction
        strip_plot = self.window.lead_column.strip_plot
        if prediction is None or strip_plot is None:
            return
        reference_name = "reference" if self.record.beats.source == "reference" else "detected"
        if snapshot.edit_count == 0:
            layer.set_prediction(prediction)
            strip_plot.getAxis("left").setTicks([[(MODEL_ROW_Y, "model"), (REFERENCE_ROW_Y, reference_name)]])
            return
        layer.set_prediction(counterfactual_prediction(prediction, snapshot))
        strip_plot.getAxis("left").setTicks([[(MODEL_ROW_Y, "edited"), (REFERENCE_ROW_Y, reference_name)]])

    def _fill_panel(self, snapshot: SessionSnapshot) -> None:
        record_beats, times_s, recorded, edited = changed_beat_rows(snapshot, self.record.beats.sample, self.record.fs)
        self.panel.set_changed_beats(record_beats, times_s, recorded, edited)

        count = snapshot.edit_count
        if count == 0:
            status = "No edits: the leads show the recorded signal."
        else:
            changed = len(record_beats)
            status = f"{count} edit{'s' if count != 1 else ''}, {changed} beat{'s' if changed != 1 else ''} changed."
        if snapshot.elapsed_s is not None:
            status += f" Last step classified {snapshot.reclassified_count} beats again in {1000 * snapshot.elapsed_s:.0f} ms."
        self.panel.set_status(status)

        if count:
            self.banner.setText(
                f"Counterfactual: {count} edit{'s' if count != 1 else ''} — not the recorded signal. "
                "The model row shows the labels of the edited signal, the Beats table those of the recording."
            )
        self.banner.setVisible(bool(count))

    def _update_actions(self) -> None:
        snapshot = self.snapshot
        edits = snapshot.edit_count if snapshot is not None else 0
        redos = snapshot.redo_count if snapshot is not None else 0
        has_record = self.record is not None
        self.undo_action.setEnabled(edits > 0)
        self.redo_action.setEnabled(redos > 0)
        self.reset_action.setEnabled(edits > 0)
        self.save_action.setEnabled(edits > 0)
        self.search_action.setEnabled(has_record)
        self.panel.set_history(self._edit_labels(snapshot), redos)
        if not self.is_busy():
            self.panel.save_button.setEnabled(edits > 0)

    def _edit_labels(self, snapshot: SessionSnapshot | None) -> list[str]:
        """Return each edit as the panel lists it: the change, the lead and the clock times."""
        if snapshot is None:
            return []
        fs = self.record.fs
        return [
            f"{describe_change(summary, fs)} on {self.record.sig_name[summary.channel]}, "
            f"{format_clock_time(summary.start / fs, 3)} – {format_clock_time(summary.stop / fs, 3)}"
            for summary in snapshot.edit_summaries
        ]

    # Neuron-state change

    def _on_state_change_toggled(self, checked: bool) -> None:
        self.state_change_action.setChecked(checked)
        if not checked:
            self.state_overlay.hide_change()
            self.state_change_shown.emit(False)
            return
        self._request_state_change()

    def _request_state_change(self) -> None:
        if self.snapshot is None or self.snapshot.edit_count == 0:
            self.state_overlay.hide_change()
            self.state_change_shown.emit(False)
            return
        self._submit("counterfactual state change", lambda holder, job: holder.state_change(), self._show_state_change)

    def _show_state_change(self, change: Any) -> None:
        if change is None or not self.panel.state_change_check.isChecked():
            self.state_overlay.hide_change()
            self.state_change_shown.emit(False)
            return
        self.state_overlay.show_change(change.state_sample, change.difference, self.record.fs)
        self.state_change_shown.emit(True)

    # Search

    def start_search(self) -> None:
        """Search, off the GUI thread, for the smallest change that gives the selected beat the chosen class."""
        if self.record is None or self._search_cancel is not None:
            return
        self.open_editor()
        beat = self._selected_beat()
        if beat is None:
            self.panel.set_search_result("Select a beat in the Beats table or the waveform first.")
            return
        channel = self.record.model_channel
        start, stop = self._search_region(beat)
        target = self.panel.target_class()
        cancel = threading.Event()
        self._search_cancel = cancel
        self.panel.set_searching(True)
        self._search_target = target
        self._search_beat = beat
        self._submit(
            "counterfactual search",
            lambda holder, job: holder.search(
                beat, target, start, stop, channel, SEARCH_BOUND_QRS, should_cancel=lambda: cancel.is_set() or job.is_cancelled()
            ),
            self._show_search,
            self._search_failed,
        )

    def _search_region(self, beat: int) -> tuple[int, int]:
        """Return the region when it lies on the model lead over the beat, else 150 ms before to 250 ms after it."""
        fs = self.record.fs
        beat_sample = round(self._beat_time_s(beat) * fs)
        start, stop = self.region_samples()
        if self.region_channel == self.record.model_channel and start < beat_sample < stop:
            return start, stop
        return max(0, beat_sample - round(REGION_BEFORE_S * fs)), min(self.record.n_samples, beat_sample + round(REGION_AFTER_S * fs))

    def cancel_search(self) -> None:
        """Stop a running search at its next step; the session is left as it was."""
        if self._search_cancel is not None:
            self._search_cancel.set()

    def _show_search(self, outcome: tuple[SearchReport, SessionSnapshot]) -> None:
        report, snapshot = outcome
        self._search_cancel = None
        self.panel.set_searching(False)
        self._show_snapshot(snapshot)
        letter = AAMI_CLASSES[self._search_target]
        beat_text = f"beat {self._search_beat + 1}"
        if report.found:
            text = (
                f"Found: {beat_text} becomes {letter} (p = {report.target_probability:.2f}) with a change of "
                f"{report.rms_change_mv:.3f} mV RMS (largest {report.max_change_mv:.2f} mV), "
                f"after {report.iterations} steps. It is edit {snapshot.edit_count} in the list: inspect it, "
                "or undo it with Ctrl+Z."
            )
        elif report.cancelled:
            text = "Search cancelled: nothing was changed."
        else:
            text = f"Not found for {beat_text}: {report.message}"
        self.panel.set_search_result(text)
        self.search_finished.emit(report)

    def _search_failed(self, message: str) -> None:
        self._search_cancel = None
        self.panel.set_searching(False)
        self.panel.set_search_result(f"The search failed: {message}")
        self.search_finished.emit(SearchReport(False, False, message))

    # Saving

    def save_as(self) -> None:
        """Ask for a header path outside the record's folder and save the counterfactual there."""
        if self.record is None or self.snapshot is None or self.snapshot.edit_count == 0:
            return
        suggested = self._save_folder() / f"{self.record.record_name}{COUNTERFACTUAL_SUFFIX}.hea"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Save counterfactual as a WFDB record", str(suggested), "WFDB headers (*.hea)"
        )
        if path:
            self.save_to(Path(path))

    def _save_folder(self) -> Path:
        """Return the folder the Save As dialog starts in: the last one saved to, else Documents, else home.

        Folders that do not exist are skipped, because the file dialog would start in the
        working directory instead. The source record's folder is skipped, because saving there is rejected.
        """
        location = QtCore.QStandardPaths.writableLocation
        kinds = QtCore.QStandardPaths.StandardLocation
        home = location(kinds.HomeLocation)
        saved_folder = str(self.window.settings.value(FOLDER_SETTING, "") or "")
        candidates = [saved_folder, location(kinds.DocumentsLocation), home]
        record_folder = self.record.header_path.parent.resolve()
        for candidate in candidates:
            if candidate and Path(candidate).is_dir() and Path(candidate).resolve() != record_folder:
                return Path(candidate)
        # NOTE: reached only when the home folder is missing or is the record's own folder, so the
        # dialog starts in the working directory or in the record's folder, where saving is rejected.
        return Path(home)

    def save_to(self, header_path: Path) -> None:
        """Write the counterfactual as the WFDB record `header_path` (.hea, .dat, .atr) in a job."""
        folder = header_path.parent
        name = header_path.name.removesuffix(".hea")
        self._submit(
            "save counterfactual",
            lambda holder, job: holder.save(folder, name),
            self._on_saved,
            lambda message: self.window.show_error(f"The counterfactual was not saved: {_reason(message)}"),
        )

    def _on_saved(self, header_path: Path) -> None:
        self.window.settings.setValue(FOLDER_SETTING, str(header_path.parent))
        self.window.settings.sync()
        self.window.statusBar().showMessage(f"Saved the counterfactual as {header_path}", 15_000)
        self.saved.emit(header_path)

        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Information,
            "Counterfactual saved",
            f"Saved as {header_path}, with the list of edits in its header comments.",
            QtWidgets.QMessageBox.StandardButton.Close,
            self.window,
        )
        box.setObjectName("counterfactual_saved_box")
        open_button = box.addButton("Open It", QtWidgets.QMessageBox.ButtonRole.AcceptRole)
        open_button.clicked.connect(lambda: self.window.open_record(header_path))
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.saved_box = box


def describe_change(summary: EditSummary, fs: float) -> str:
    """Describe what an edit changed, with beats numbered from 1 as in the beat tables."""
    milliseconds = 1000 * summary.value / fs
    descriptions = {
        "scale": f"Scale ×{summary.value:g}",
        "invert": "Invert",
        "baseline": f"Shift baseline {summary.value:+g} mV",
        "flatten": "Flatten",
        "smooth": f"Smooth over {milliseconds:.0f} ms",
        "noise": f"Add noise, SD {summary.value:g} mV",
        "stretch": f"Stretch ×{summary.value:g}",
        "paste": f"Paste the shape of beat {summary.beat + 1}",
        "freehand": "Redraw freehand",
        "perturb": f"Search result, largest change {summary.max_change_mv:.2f} mV",
        "move_beat": f"Move beat {summary.beat + 1} by {milliseconds:+.0f} ms",
        "delete_beat": f"Delete beat {summary.beat + 1}",
    }
    return descriptions.get(summary.kind, summary.kind)


def counterfactual_prediction(prediction: RecordPrediction, snapshot: SessionSnapshot) -> RecordPrediction:
    """Return `prediction` with the beats, probabilities and labels of the edited signal.

    Beats the recorded prediction left unclassified (invalid samples) stay unclassified.
    NOTE: after a delete, or a move past a neighbour, the beat strip's hover text
    and disagreement bands pair these beats with the wrong reference beats.
    """
    classified = np.asarray(prediction.classified)[snapshot.beat_id]
    probabilities = snapshot.probabilities.copy()
    probabilities[~classified] = np.nan
    predicted = np.argmax(np.nan_to_num(probabilities, nan=-1.0), axis=1).astype(np.int8)
    predicted[~classified] = -1
    return dataclasses.replace(
        prediction,
        sample=snapshot.beat_sample.copy(),
        probabilities=probabilities,
        predicted=predicted,
        classified=classified,
    )


def changed_beat_rows(
    snapshot: SessionSnapshot, record_sample: np.ndarray, fs: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return record beat, time (s), recorded and edited probabilities of the changed and deleted beats, by time."""
    changed = snapshot.changed_beats
    record_beats = np.concatenate([snapshot.beat_id[changed], snapshot.deleted_beats]).astype(np.int64)
    samples = np.concatenate([snapshot.beat_sample[changed], record_sample[snapshot.deleted_beats]])
    recorded = snapshot.original_probabilities[record_beats]
    edited = np.concatenate(
        [snapshot.probabilities[changed], np.full((len(snapshot.deleted_beats), len(AAMI_CLASSES)), np.nan, np.float32)]
    )
    order = np.argsort(samples, kind="stable")
    return record_beats[order], samples[order] / fs, recorded[order], edited[order]


def _joined_spans(spans: list, fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join spans into one curve's times (s) and values, with a NaN between spans so they are not connected."""
    times, original, edited = [], [], []
    for span in spans:
        n = len(span.edited_mv)
        times += [np.arange(span.start, span.start + n) / fs, [np.nan]]
        original += [span.original_mv, [np.nan]]
        edited += [span.edited_mv, [np.nan]]
    return np.concatenate(times), np.concatenate(original), np.concatenate(edited)


def _reason(message: str) -> str:
    """Strip the exception type that `ModelJobRunner` puts before a job's error message."""
    for prefix in ("EditError: ", "ValueError: ", "OSError: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
