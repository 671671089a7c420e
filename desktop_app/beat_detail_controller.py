"""Connect the beat detail to the main window: its dock, the selected beat and the attribution jobs.

The controller follows the beat selected in the beat table (or clicked on the
waveform). For each beat it shows the labels, probabilities and RR intervals
at once, and submits one attribution job to the window's `ModelJobRunner`.
A new selection, a new class choice or a new record cancels the job before,
so only the attribution of the beat on screen is ever drawn.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from desktop_app.attribution_overlay import AttributionOverlay
from desktop_app.beat_attribution import BeatAttribution, RecordInputsCache, attribute_beat
from desktop_app.beat_detail import BeatDetailPanel
from model.beat_rhythm import beat_rhythm
from model.records import AAMI_CLASSES

if TYPE_CHECKING:
    import pyqtgraph as pg

    from desktop_app.main_window import MainWindow
    from desktop_app.model_jobs import Job

logger = logging.getLogger(__name__)

COMPUTING_TEXT = "computing…"


class BeatDetailController(QtCore.QObject):
    """The beat detail dock of `window` and the attribution of its selected beat."""

    attribution_shown = QtCore.Signal(object)
    """The `BeatAttribution` just drawn in the dock and on the waveform."""
    attribution_failed = QtCore.Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("beat_detail_controller")
        self.window = window
        self.beat: int | None = None
        self.job: Job | None = None
        self.classification_outcome: str | None = None
        """How the current record's classification ended ("finished", "failed", "cancelled"), None while it runs."""
        self.overlay = AttributionOverlay()
        self.inputs_cache = RecordInputsCache()
        """Touched only by the job runner's thread, inside `attribute_beat`."""

        self.panel = BeatDetailPanel()
        self.dock = QtWidgets.QDockWidget("Beat detail", window)
        self.dock.setObjectName("beat_detail_dock")
        # A short dock scrolls the panel instead of squeezing its rows into each other.
        scroll_area = QtWidgets.QScrollArea()
        scroll_area.setObjectName("beat_detail_scroll_area")
        scroll_area.setWidgetResizable(True)
        scroll_area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll_area.setWidget(self.panel)
        self.dock.setWidget(scroll_area)
        self.dock.setFeatures(
            QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self._place_dock_under_beat_table()

        window.review_controller.panel.beat_selected.connect(self.show_beat)
        # Connected after the review controller, which selects a beat of the new record first.
        window.record_opened.connect(self._on_record_opened)
        window.classification_finished.connect(self.show_selected_beat)
        window.classification_ended.connect(self._on_classification_ended)
        self.panel.class_chosen.connect(self._on_class_chosen)

    def _place_dock_under_beat_table(self) -> None:
        """Put the dock under the beat table, so a reader stepping through the table gets each beat's detail beside it."""
        window = self.window
        review_dock = window.review_controller.dock
        window.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.dock, QtCore.Qt.Orientation.Vertical)
        window.resizeDocks([review_dock, self.dock], [340, 480], QtCore.Qt.Orientation.Vertical)

    # Selection

    def show_selected_beat(self, *args: object) -> None:
        """Show the beat selected in the beat table, or clear the panel when none is."""
        beat = self.window.review_controller.current_beat()
        if beat is None:
            self.cancel_attribution()
            self.beat = None
            self.panel.clear()
            return
        self.show_beat(beat)

    @QtCore.Slot(int)
    def show_beat(self, beat: int) -> None:
        """Show `beat`'s labels, probabilities and RR intervals, and start its attribution."""
        record = self.window.record
        if record is None or not 0 <= beat < len(record.beats):
            return
        self.beat = beat
        rhythm = beat_rhythm(record.beats.sample, record.fs, beat)
        self.panel.show_beat(record, beat, rhythm, self.window.prediction, self._model_status())
        self.start_attribution()

    def _model_status(self) -> str:
        if self.classification_outcome is None:
            return "The model is still running; its label and probabilities appear when it finishes."
        reason = "was cancelled" if self.classification_outcome == "cancelled" else "failed"
        return f"The model has not labelled this record, because its classification {reason}."

    def _on_record_opened(self, record: object) -> None:
        self.classification_outcome = None
        # The cache belongs to the job thread, so a job empties it, after any attribution still queued.
        cache = self.inputs_cache
        self.window.model_jobs.submit("forget the previous record's inputs", lambda job: cache.forget())
        self.show_selected_beat()

    def _on_classification_ended(self, outcome: str) -> None:
        self.classification_outcome = outcome
        if outcome != "finished":
            self.show_selected_beat()

    def _on_class_chosen(self, target_class: int | None) -> None:
        if self.beat is not None:
            self.start_attribution()

    # Attribution

    def target_class(self) -> int | None:
        """Return the class to explain: the one chosen in the panel, else the model's label."""
        chosen = self.panel.chosen_class()
        if chosen is not None:
            return int(chosen)
        prediction = self.window.prediction
        if prediction is None or self.beat is None:
            return None
        return int(prediction.predicted[self.beat])

    def start_attribution(self) -> None:
        """Cancel the running attribution and, if the selected beat has a model label, submit its own."""
        self.cancel_attribution()
        record, prediction, beat = self.window.record, self.window.prediction, self.beat
        if record is None or beat is None:
            return
        if prediction is None:
            self.panel.clear_attribution("waits for the model's labels")
            return
        if prediction.predicted[beat] < 0:
            self.panel.clear_attribution("none: the model did not classify this beat")
            return

        target_class = self.target_class()
        weights_path = self.window.weights_path
        cache = self.inputs_cache
        self.panel.clear_attribution(COMPUTING_TEXT)
        self.job = self.window.model_jobs.submit(
            f"attribution of beat {beat} for class {AAMI_CLASSES[target_class]}",
            lambda job: attribute_beat(job, record, beat, target_class, weights_path, cache),
            on_done=self._on_attribution_done,
            on_failed=self._on_attribution_failed,
        )

    def cancel_attribution(self) -> None:
        """Cancel the attribution job, so its result is never drawn, and remove the band from the waveform."""
        if self.job is not None:
            self.job.cancel()
            self.job = None
        self.overlay.clear()

    def model_lead_plot(self) -> pg.PlotItem | None:
        """Return the lead column's plot of the lead the network reads."""
        record = self.window.record
        lead_plots = self.window.lead_column.lead_plots
        if record is None or record.model_channel not in record.ecg_channels:
            return None
        index = record.ecg_channels.index(record.model_channel)
        return lead_plots[index] if index < len(lead_plots) else None

    def _on_attribution_done(self, result: BeatAttribution | None) -> None:
        self.job = None
        if result is None or result.record is not self.window.record or result.beat != self.beat:
            return
        record = result.record
        plot = self.model_lead_plot()
        if plot is not None:
            self.overlay.show(plot, result)
        self.panel.show_attribution(result, record.sig_name[record.model_channel])
        self.attribution_shown.emit(result)

    def _on_attribution_failed(self, message: str) -> None:
        self.job = None
        self.panel.clear_attribution(f"The attribution failed: {message}")
        self.attribution_failed.emit(message)
