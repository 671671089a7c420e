"""The Liquid ECG main window: menus, the record views and the classification worker.

Nothing here imports JAX. `model.records` and `model.demo` are JAX-free, and
`model.inference` is imported only inside the worker thread (see
`desktop_app.classify_worker`), so the window shows before JAX has loaded.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from desktop_app.about import about_html
from desktop_app.beat_detail_controller import BeatDetailController
from desktop_app.calipers import Calipers, format_interval
from desktop_app.classify_worker import ClassificationRun, ClassificationWorker
from desktop_app.counterfactual_controller import CounterfactualController
from desktop_app.gui_gc import collect_garbage_in_gui_thread
from desktop_app.heatmap_view import NeuronHeatmap
from desktop_app.wiring_view import WiringView
from desktop_app.lead_choice import ModelLeadChooser
from desktop_app.lead_column import LeadColumn
from desktop_app.model_jobs import Job, ModelJobRunner
from desktop_app.paper_scale import PIXELS_PER_MM_SETTING, CalibrationDialog, screen_density
from desktop_app.recent_files import RecentFiles
from desktop_app.review_controller import ReviewController
from desktop_app.shortcuts_dialog import show_shortcuts_dialog
from model.records import (
    DEFAULT_ANNOTATOR,
    EcgRecord,
    RecordError,
    annotation_extensions,
    load_record,
    with_model_channel,
)

# NOTE: the record loader imports these lazily. They are imported here, in the GUI thread,
# because with PySide6 6.11 a module imported in a worker thread now and then crashed the
# GUI thread (a segmentation fault in the garbage collector), through PySide's import hook.
import model.demo  # noqa: E402, F401
import model.preprocess  # noqa: E402, F401
import wfdb.processing  # noqa: E402, F401

if TYPE_CHECKING:
    from model.inference import RecordPrediction

logger = logging.getLogger(__name__)

APP_NAME = "Liquid ECG"
ORGANIZATION_NAME = "Liquid ECG"
HEADER_FILE_FILTER = "WFDB headers (*.hea);;All files (*)"
SCROLL_STEP = 0.25
"""Arrow keys move the view by this fraction of its width."""
ZOOM_STEP = 1.5
THREAD_STOP_TIMEOUT_MS = 30_000
"""How long closing the window waits for a worker, because loading JAX cannot be interrupted."""
RECORD_JOBS_STOP_TIMEOUT_S = 30.0
"""How long closing the window waits for a record load or lead change, which cannot be interrupted."""
INTENDED_USE = (
    "Liquid ECG labels heartbeats with a Liquid Time-Constant network to support the review "
    "of ECG records by a qualified reader. It does not make a diagnosis."
)


PLOT_FOREGROUND = "#374151"
"""Axis lines and labels: dark grey, readable on the white plot background."""


def configure_pyqtgraph() -> None:
    """Set pyqtgraph's global defaults for a light, clinical look. Call it before building plots."""
    pg.setConfigOptions(foreground=PLOT_FOREGROUND, background="w", antialias=True)


class MainWindow(QtWidgets.QMainWindow):
    """The application window. It shows one record at a time, and another record replaces it only if it loads."""

    record_opened = QtCore.Signal(object)
    """The `EcgRecord` now shown, emitted before its classification starts."""
    record_open_failed = QtCore.Signal(str)
    """The message shown when a record could not be opened; the record shown before stays."""
    classification_started = QtCore.Signal(object)
    """The new `ClassificationWorker`, emitted just before its thread starts."""
    classification_finished = QtCore.Signal(object)
    """The `RecordPrediction` drawn for the current record."""
    classification_cancelled = QtCore.Signal()
    classification_failed = QtCore.Signal(str)
    classification_ended = QtCore.Signal(str)
    """"finished", "failed" or "cancelled", emitted after the signal of that name."""
    error_shown = QtCore.Signal(str)
    """Every message passed to `show_error`, so tests can observe errors without a dialog."""

    def __init__(
        self,
        settings: QtCore.QSettings | None = None,
        weights_path: str | Path | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 820)
        self.setAcceptDrops(True)

        self.settings = settings or QtCore.QSettings(ORGANIZATION_NAME, APP_NAME)
        self.recent_files = RecentFiles(self.settings)
        self.weights_path = weights_path
        self.record: EcgRecord | None = None
        self.prediction: RecordPrediction | None = None
        self._run: ClassificationRun | None = None
        self._retired_runs: list[ClassificationRun] = []
        self._error_box: QtWidgets.QMessageBox | None = None
        self.last_error: str | None = None
        self.model_jobs = ModelJobRunner(self)
        """Runs attribution and counterfactual computations off the GUI thread, one at a time."""
        collect_garbage_in_gui_thread()
        # Loads and lead changes run in their own thread, so they never wait behind model jobs.
        self._record_jobs = ModelJobRunner()
        self._open_job: Job | None = None
        self._lead_job: Job | None = None

        configure_pyqtgraph()
        self._build_views()
        self._build_status_bar()
        self._build_menus()
        self.review_controller = ReviewController(self)
        self.beat_detail_controller = BeatDetailController(self)
        self.view_menu.addAction(self.beat_detail_controller.dock.toggleViewAction())
        self.counterfactual_controller = CounterfactualController(self)
        self.help_menu.addAction("&Keyboard Shortcuts", lambda: show_shortcuts_dialog(self))

    # Opening records

    def open_record(self, path: str | Path, is_demo: bool = False, annotator: str = DEFAULT_ANNOTATOR) -> None:
        """Start loading the record at `path` off the GUI thread, then show and classify it.

        Reference beats come from the annotation file with extension `annotator`.
        The record shown before stays on screen until the new one has loaded, and
        stays when loading fails: then `show_error` names the file and
        `record_open_failed` is emitted. A later open request drops this one.
        """
        path = Path(path)
        self._submit_open(path.name, lambda job: load_record(path, annotator), path, is_demo)

    def open_demo_record(self) -> None:
        """Generate (or reuse) the synthetic demo record off the GUI thread and open it."""

        def load_demo(job: Job) -> EcgRecord:
            from model.demo import demo_record_path

            return load_record(demo_record_path())

        self._submit_open("the demo record", load_demo, None, is_demo=True)

    def is_opening(self) -> bool:
        """Tell whether a record is being loaded or a lead change is being computed."""
        return self._open_job is not None or self._lead_job is not None

    def _submit_open(
        self, name: str, load: Callable[[Job], EcgRecord], path: Path | None, is_demo: bool
    ) -> None:
        if self._open_job is not None:
            self._open_job.cancel()
        if self._lead_job is not None:
            # The user moved on to another record, so the lead change is dropped.
            self._lead_job.cancel()
            self._lead_job = None
            if self.record is not None:
                self.model_lead_combo.set_record(self.record)
        self._open_job = self._record_jobs.submit(
            f"open {name}",
            lambda job: self._load_in_worker(job, load, path),
            on_done=lambda record: self._on_record_loaded(record, is_demo),
            on_failed=self._on_record_load_failed,
        )
        self._show_busy(f"Opening {name}…")

    @staticmethod
    def _load_in_worker(job: Job, load: Callable[[Job], EcgRecord], path: Path | None) -> EcgRecord:
        """Run `load` in the loader thread, turning any error into a RecordError whose message names the file."""
        try:
            return load(job)
        except RecordError:
            raise
        except Exception as error:
            logger.exception("Opening %s failed", path or "the demo record")
            if path is None:
                raise RecordError(
                    f"The synthetic demo record could not be written ({type(error).__name__}: {error})."
                ) from error
            raise RecordError(f"{path}: opening the record failed ({type(error).__name__}: {error}).") from error

    def _on_record_loaded(self, record: EcgRecord, is_demo: bool) -> None:
        self._open_job = None
        if self._lead_job is not None:
            # The lead change was for the record being replaced.
            self._lead_job.cancel()
            self._lead_job = None
        self._hide_busy()
        if is_demo:
            record.is_synthetic = True
        self._show_record(record)
        self._rebuild_annotator_menu()
        if not record.is_synthetic:
            self.recent_files.add(record.header_path)
            self._rebuild_recent_menu()
        self.record_opened.emit(record)
        self.start_classification()

    def _on_record_load_failed(self, message: str) -> None:
        self._open_job = None
        self._hide_busy()
        message = message.removeprefix(f"{RecordError.__name__}: ")
        self.show_error(message)
        self.record_open_failed.emit(message)

    def _show_busy(self, text: str) -> None:
        self.statusBar().showMessage(text)
        self.open_progress.setFormat(text)
        self.open_progress.setToolTip(text)
        self.open_progress.show()

    def _hide_busy(self) -> None:
        if self.is_opening():
            return
        self.statusBar().clearMessage()
        self.open_progress.hide()

    def choose_and_open_record(self) -> None:
        start_folder = str(Path(self.recent_files.paths()[0]).parent) if self.recent_files.paths() else ""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open WFDB record", start_folder, HEADER_FILE_FILTER
        )
        if path:
            self.open_record(path)

    def open_recent(self, path: str) -> None:
        """Open an Open Recent entry, or remove it with a message when its file is gone."""
        if not Path(path).is_file():
            self.recent_files.remove(path)
            self._rebuild_recent_menu()
            self.show_error(f"{path}: file not found, so it was removed from Open Recent.")
            return
        self.open_record(path)

    def show_error(self, message: str) -> None:
        """Report an error in a non-blocking critical message box and in `error_shown`."""
        logger.error("%s", message)
        self.last_error = message
        self.error_shown.emit(message)

        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Critical, APP_NAME, message, QtWidgets.QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("error_message_box")
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self._error_box = box

    # Paper scale and calipers

    @QtCore.Slot(bool)
    def set_paper_scale(self, enabled: bool) -> None:
        """Draw the leads at 25 mm/s and 10 mm/mV on this screen, or return to free zoom."""
        if not enabled:
            if self.lead_column.paper_pixels_per_mm is not None:
                self.lead_column.set_paper_scale(None)
            return
        density = screen_density(self, self.settings)
        self.lead_column.set_paper_scale(density.pixels_per_mm)
        self.statusBar().showMessage(f"Paper scale 25 mm/s, 10 mm/mV: {density.describe()}.", 10_000)

    def calibrate_screen(self) -> CalibrationDialog:
        """Open the dialog that measures the screen's pixels per millimetre with a ruler, and return it."""
        dialog = CalibrationDialog(screen_density(self, self.settings), self)
        dialog.accepted.connect(lambda: self._store_calibration(dialog.pixels_per_mm()))
        dialog.open()
        return dialog

    def _store_calibration(self, pixels_per_mm: float) -> None:
        self.settings.setValue(PIXELS_PER_MM_SETTING, pixels_per_mm)
        self.settings.sync()
        if self.paper_scale_action.isChecked():
            self.set_paper_scale(True)

    @QtCore.Slot(bool)
    def set_calipers_shown(self, shown: bool) -> None:
        if not shown:
            self.calipers.hide()
            return
        if not self.calipers.show():
            self.calipers_action.setChecked(False)

    def _show_caliper_interval(self, interval_s: float) -> None:
        self.hover_label.setText(f"Calipers: {format_interval(interval_s)}")

    # Model lead

    @QtCore.Slot(int)
    def choose_model_lead(self, channel: int) -> None:
        """Let the network read ECG lead `channel` and classify the beats again.

        Detected beats are detected again on the new lead off the GUI thread:
        about 2 s per 30 minutes of ECG (benchmarks/qrs_detection.py).
        """
        if self.record is None or channel == self.record.model_channel:
            return
        if self._lead_job is not None:
            self._lead_job.cancel()
        source = self.record
        self._lead_job = self._record_jobs.submit(
            f"model lead {channel}",
            lambda job: with_model_channel(source, channel),
            on_done=lambda record: self._on_model_lead_ready(source, record),
            on_failed=self._on_model_lead_failed,
        )
        lead_name = source.sig_name[channel]
        if source.beats.source == "detected":
            self._show_busy(f"Detecting beats on {lead_name}…")
        else:
            self._show_busy(f"Switching the model lead to {lead_name}…")

    def _on_model_lead_ready(self, source: EcgRecord, record: EcgRecord) -> None:
        self._lead_job = None
        self._hide_busy()
        if self.record is not source:
            return
        self._show_record(record)
        self.statusBar().showMessage(f"The network now reads {record.sig_name[record.model_channel]}.", 8000)
        # The views were rebuilt and detected beats may have moved, so listeners such as the
        # review reopen for the new record.
        self.record_opened.emit(record)
        self.start_classification()

    def _on_model_lead_failed(self, message: str) -> None:
        self._lead_job = None
        self._hide_busy()
        if self.record is not None:
            self.model_lead_combo.set_record(self.record)
        self.show_error(f"Changing the model lead failed ({message}).")

    # Classification

    def start_classification(self) -> None:
        """Classify the current record's beats in a worker thread, cancelling any worker still running."""
        if self.record is None:
            return
        self._retire_run()

        run = ClassificationRun(self.record, self.weights_path)
        run.worker.model_loading.connect(self._on_model_loading)
        run.worker.progress.connect(self._on_progress)
        run.worker.finished.connect(self._on_classified)
        run.worker.failed.connect(self._on_classification_failed)
        run.worker.cancelled.connect(self._on_classification_cancelled)
        self._run = run

        self.classify_progress.setRange(0, max(len(self.record.beats), 1))
        self.classify_progress.setValue(0)
        self.classify_progress.setFormat("Starting…")
        self.classify_progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.classification_started.emit(run.worker)
        run.start()

    def cancel_classification(self) -> None:
        """Ask the running worker to stop. It emits `cancelled` at its next batch boundary."""
        if self._run is None:
            return
        self._run.cancel()
        self.cancel_button.setEnabled(False)
        self.classify_progress.setFormat("Cancelling…")

    def is_classifying(self) -> bool:
        return self._run is not None

    @property
    def classification_worker(self) -> ClassificationWorker | None:
        """The worker classifying the current record, or None when none runs."""
        return None if self._run is None else self._run.worker

    def _retire_run(self) -> None:
        """Cancel the current worker and keep it referenced until its thread ends."""
        if self._run is None:
            return
        run = self._run
        self._run = None
        run.cancel()
        self._retired_runs.append(run)
        run.thread.finished.connect(self._forget_retired_runs)
        self._forget_retired_runs()

    def _forget_retired_runs(self) -> None:
        self._retired_runs = [run for run in self._retired_runs if not run.thread.isFinished()]

    def _is_current_worker(self) -> bool:
        """Tell whether the signal being handled comes from the current worker, not a retired one."""
        return self._run is not None and self.sender() is self._run.worker

    @QtCore.Slot()
    def _on_model_loading(self) -> None:
        if self._is_current_worker():
            self.classify_progress.setRange(0, 0)
            self.classify_progress.setFormat("Loading the model…")

    @QtCore.Slot(int, int)
    def _on_progress(self, done_beats: int, total_beats: int) -> None:
        if not self._is_current_worker():
            return
        self.classify_progress.setRange(0, max(total_beats, 1))
        self.classify_progress.setValue(done_beats)
        self.classify_progress.setFormat("Classifying %v / %m beats")

    @QtCore.Slot(object)
    def _on_classified(self, prediction: RecordPrediction) -> None:
        if not self._is_current_worker():
            return
        self._finish_run()
        self.prediction = prediction
        self.lead_column.beat_marker_layer.set_prediction(prediction)
        self.heatmap_view.set_prediction(prediction, self.record.fs)
        self.wiring_view.set_prediction(prediction)
        self.record_label.setText(self._record_summary())
        self.classification_finished.emit(prediction)
        self.classification_ended.emit("finished")

    @QtCore.Slot(str)
    def _on_classification_failed(self, message: str) -> None:
        if not self._is_current_worker():
            return
        self._finish_run()
        self.show_error(message)
        self.classification_failed.emit(message)
        self.classification_ended.emit("failed")

    @QtCore.Slot()
    def _on_classification_cancelled(self) -> None:
        if not self._is_current_worker():
            return
        self._finish_run()
        self.statusBar().showMessage("Classification cancelled. The reference labels are shown.", 8000)
        self.classification_cancelled.emit()
        self.classification_ended.emit("cancelled")

    def _finish_run(self) -> None:
        """Keep the finished run referenced until its thread has quit, and hide the progress."""
        self._retire_run()
        self.classify_progress.hide()
        self.cancel_button.hide()

    # Views

    def _show_record(self, record: EcgRecord) -> None:
        self._retire_run()
        self.record = record
        self.prediction = None

        # The old plots took the calipers with them.
        self.calipers.forget()
        self.calipers_action.setChecked(False)
        self.lead_column.set_record(record)
        self.model_lead_combo.set_record(record)
        self.heatmap_view.link_x(self.lead_column.x_master_plot, record.duration_s)
        self.heatmap_view.clear_states()
        self.central_stack.setCurrentWidget(self.record_page)
        self.synthetic_banner.setVisible(record.is_synthetic)

        title = f"{record.record_name} (synthetic demo record)" if record.is_synthetic else record.record_name
        self.setWindowTitle(f"{title} — {APP_NAME}")
        self.record_label.setText(self._record_summary())

    def _record_summary(self) -> str:
        record = self.record
        if record is None:
            return ""
        leads = ", ".join(record.sig_name[channel] for channel in record.ecg_channels)
        minutes = record.duration_s / 60
        summary = f"{record.record_name}: {leads}, {record.fs:g} Hz, {minutes:.1f} min, {len(record.beats)} beats"
        if record.beats.source != "reference":
            summary += " (detected, no reference labels)"
        if self.prediction is not None:
            unclassifiable = int((self.prediction.predicted < 0).sum())
            if unclassifiable:
                summary += f", {unclassifiable} unclassifiable (invalid samples in the beat window)"
        for note in record.notes:
            summary += f". Note: {note}"

        layer = self.lead_column.beat_marker_layer
        if self.prediction is not None and record.beats.source == "reference" and len(record.beats):
            agreeing = len(record.beats) - layer.disagreement_count()
            summary += (
                f". Model agrees with the reference on {agreeing} of {len(record.beats)} beats "
                f"({100 * agreeing / len(record.beats):.1f} %), disagreements highlighted in yellow"
            )
        return summary

    def _build_views(self) -> None:
        self.lead_column = LeadColumn()
        self.heatmap_view = NeuronHeatmap()
        self.wiring_view = WiringView()
        self.heatmap_view.neuron_selected.connect(self.wiring_view.highlight_neuron)
        self.wiring_dock = QtWidgets.QDockWidget("Network wiring", self)
        self.wiring_dock.setObjectName("wiring_dock")
        self.wiring_dock.setWidget(self.wiring_view)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.wiring_dock)
        self.beat_marker_layer = self.lead_column.beat_marker_layer
        self.calipers = Calipers(self.lead_column, self)
        self.calipers.interval_changed.connect(self._show_caliper_interval)
        for view in (self.lead_column, self.heatmap_view):
            # Drops pass through the plots to the window, which opens the dropped record.
            view.setAcceptDrops(False)
            view.viewport().setAcceptDrops(False)

        self.record_splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.record_splitter.setObjectName("record_splitter")
        self.record_splitter.addWidget(self.lead_column)
        self.record_splitter.addWidget(self.heatmap_view)
        self.record_splitter.setStretchFactor(0, 3)
        self.record_splitter.setStretchFactor(1, 2)
        self.record_splitter.setChildrenCollapsible(False)

        self.empty_label = QtWidgets.QLabel(
            "Open a WFDB record (.hea) with File > Open, or drop its header file here."
        )
        self.empty_label.setObjectName("empty_label")
        self.empty_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #6b7280; font-size: 14pt;")

        self.synthetic_banner = QtWidgets.QLabel(
            "Synthetic demo record generated by Liquid ECG: not a recording of a patient."
        )
        self.synthetic_banner.setObjectName("synthetic_banner")
        self.synthetic_banner.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.synthetic_banner.setStyleSheet(
            "background: #fef3c7; color: #78350f; font-weight: bold; padding: 3px;"
        )
        self.synthetic_banner.hide()

        self.record_page = QtWidgets.QWidget()
        self.record_page.setObjectName("record_page")
        record_page_layout = QtWidgets.QVBoxLayout(self.record_page)
        record_page_layout.setContentsMargins(0, 0, 0, 0)
        record_page_layout.setSpacing(0)
        record_page_layout.addWidget(self.synthetic_banner)
        record_page_layout.addWidget(self.record_splitter)

        self.central_stack = QtWidgets.QStackedWidget()
        self.central_stack.setObjectName("central_stack")
        self.central_stack.addWidget(self.empty_label)
        self.central_stack.addWidget(self.record_page)
        self.setCentralWidget(self.central_stack)

    def _build_status_bar(self) -> None:
        status_bar = self.statusBar()
        status_bar.setObjectName("status_bar")

        self.record_label = QtWidgets.QLabel()
        self.record_label.setObjectName("record_label")
        status_bar.addWidget(self.record_label, 1)

        self.model_lead_combo = ModelLeadChooser()
        self.model_lead_combo.lead_chosen.connect(self.choose_model_lead)
        status_bar.addPermanentWidget(self.model_lead_combo)

        self.hover_label = QtWidgets.QLabel()
        self.hover_label.setObjectName("hover_label")
        self.hover_label.setMinimumWidth(260)
        status_bar.addPermanentWidget(self.hover_label)
        self.lead_column.hover_text_changed.connect(self.hover_label.setText)
        self.heatmap_view.hover_text_changed.connect(self.hover_label.setText)

        self.classify_progress = QtWidgets.QProgressBar()
        self.classify_progress.setObjectName("classify_progress")
        self.classify_progress.setFixedWidth(240)
        self.classify_progress.hide()
        status_bar.addPermanentWidget(self.classify_progress)

        self.open_progress = QtWidgets.QProgressBar()
        self.open_progress.setObjectName("open_progress")
        self.open_progress.setFixedWidth(240)
        self.open_progress.setRange(0, 0)
        self.open_progress.hide()
        status_bar.addPermanentWidget(self.open_progress)

        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setToolTip("Stop classifying. The reference labels stay on screen.")
        self.cancel_button.clicked.connect(self.cancel_classification)
        self.cancel_button.hide()
        status_bar.addPermanentWidget(self.cancel_button)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = file_menu.addAction("&Open…")
        self.open_action.setObjectName("open_action")
        self.open_action.setShortcut(QtGui.QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.choose_and_open_record)

        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recent_menu")
        self._rebuild_recent_menu()

        self.annotator_menu = file_menu.addMenu("Reference &Annotations")
        self.annotator_menu.setObjectName("annotator_menu")
        self.annotator_menu.setToolTip("Read the reference beats from another annotation file beside the record")
        self._rebuild_annotator_menu()

        demo_action = file_menu.addAction("Open &Demo Record (synthetic)")
        demo_action.triggered.connect(self.open_demo_record)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QtGui.QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

        view_menu = self.menuBar().addMenu("&View")
        view_actions = [
            ("Zoom &In", ["+", "=", QtGui.QKeySequence.StandardKey.ZoomIn], lambda: self.lead_column.zoom_by(1 / ZOOM_STEP)),
            ("Zoom &Out", ["-", QtGui.QKeySequence.StandardKey.ZoomOut], lambda: self.lead_column.zoom_by(ZOOM_STEP)),
            ("Scroll &Left", ["Left"], lambda: self.lead_column.scroll_by(-SCROLL_STEP)),
            ("Scroll &Right", ["Right"], lambda: self.lead_column.scroll_by(SCROLL_STEP)),
            ("&Previous Page", ["PgUp"], lambda: self.lead_column.scroll_by(-1.0)),
            ("&Next Page", ["PgDown"], lambda: self.lead_column.scroll_by(1.0)),
            ("Go to &Start", ["Home"], self.lead_column.go_to_start),
            ("Go to &End", ["End"], self.lead_column.go_to_end),
            ("&Whole Record", ["Ctrl+0"], self.lead_column.show_whole_record),
        ]
        for text, keys, handler in view_actions:
            action = view_menu.addAction(text)
            action.setShortcuts([QtGui.QKeySequence(key) for key in keys])
            action.triggered.connect(handler)

        view_menu.addSeparator()
        self.paper_scale_action = view_menu.addAction("&Paper Scale (25 mm/s, 10 mm/mV)")
        self.paper_scale_action.setObjectName("paper_scale_action")
        self.paper_scale_action.setCheckable(True)
        self.paper_scale_action.setShortcut(QtGui.QKeySequence("Ctrl+1"))
        self.paper_scale_action.toggled.connect(self.set_paper_scale)
        self.lead_column.paper_scale_left.connect(lambda: self.paper_scale_action.setChecked(False))
        view_menu.addAction("Calibrate &Screen…", self.calibrate_screen)
        self.calipers_action = view_menu.addAction("&Calipers")
        self.calipers_action.setObjectName("calipers_action")
        self.calipers_action.setCheckable(True)
        self.calipers_action.setShortcut(QtGui.QKeySequence("C"))
        self.calipers_action.toggled.connect(self.set_calipers_shown)

        view_menu.addSeparator()
        view_menu.addAction(self.wiring_dock.toggleViewAction())
        self.view_menu = view_menu

        help_menu = self.menuBar().addMenu("&Help")
        self.help_menu = help_menu
        about_action = help_menu.addAction("&About Liquid ECG")
        about_action.triggered.connect(self._show_about)

    def _rebuild_annotator_menu(self) -> None:
        """List the annotation files beside the shown record, the one in use checked; choosing one reopens the record."""
        self.annotator_menu.clear()
        record = self.record
        extensions = annotation_extensions(record.header_path) if record is not None else []
        if record is not None and record.annotator not in extensions:
            extensions = sorted([*extensions, record.annotator])
        group = QtGui.QActionGroup(self.annotator_menu)
        for extension in extensions:
            action = self.annotator_menu.addAction(f"{record.record_name}.{extension}")
            action.setData(extension)
            action.setCheckable(True)
            action.setChecked(extension == record.annotator)
            group.addAction(action)
            action.triggered.connect(
                lambda checked=False, extension=extension: self.open_record(record.header_path, annotator=extension)
            )
        if not extensions:
            placeholder = self.annotator_menu.addAction("No annotation files beside the record")
            placeholder.setEnabled(False)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent_files.paths()
        for number, path in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{number % 10}  {path}")
            action.setData(path)
            action.triggered.connect(lambda checked=False, path=path: self.open_recent(path))
        if not paths:
            placeholder = self.recent_menu.addAction("No recent records")
            placeholder.setEnabled(False)
            return
        self.recent_menu.addSeparator()
        clear_action = self.recent_menu.addAction("Clear List")
        clear_action.triggered.connect(self._clear_recent)

    def _clear_recent(self) -> None:
        self.recent_files.clear()
        self._rebuild_recent_menu()

    def _show_about(self) -> None:
        QtWidgets.QMessageBox.about(self, f"About {APP_NAME}", about_html(INTENDED_USE))

    # Drag and drop, closing

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if dropped_header_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        path = dropped_header_path(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_record(path)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Cancel the workers and wait for their threads, which must not outlive the window."""
        for job in (self._open_job, self._lead_job):
            if job is not None:
                job.cancel()
        self._record_jobs.shutdown(RECORD_JOBS_STOP_TIMEOUT_S)
        self._retire_run()
        for run in list(self._retired_runs):
            if not run.wait(THREAD_STOP_TIMEOUT_MS):
                logger.warning("The classification thread did not stop within %d ms", THREAD_STOP_TIMEOUT_MS)
        self._forget_retired_runs()
        self.counterfactual_controller.cancel_search()
        self.model_jobs.shutdown(THREAD_STOP_TIMEOUT_MS / 1000)
        super().closeEvent(event)


def dropped_header_path(mime_data: QtCore.QMimeData) -> str | None:
    """Return the first local `.hea` file among dropped URLs, or None."""
    for url in mime_data.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".hea"):
            return url.toLocalFile()
    return None
