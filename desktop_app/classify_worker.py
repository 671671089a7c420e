"""Run the beat classifier off the GUI thread and report through Qt signals.

`model.inference` imports JAX, which takes seconds, so it is imported inside
`ClassificationWorker.run`, which executes in the worker's QThread. Nothing in
this module imports JAX when the module itself is imported.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore

if TYPE_CHECKING:
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

_classifier_lock = threading.Lock()
_classifier_cache: dict[str | None, Any] = {}


def get_classifier(weights_path: str | Path | None = None) -> Any:
    """Load the classifier once per weights file and return the cached copy afterwards.

    Imports JAX on first use, so call it from a worker thread only. The lock keeps
    two workers that start together from loading the weights twice.
    """
    from model.inference import load_classifier

    key = None if weights_path is None else str(weights_path)
    with _classifier_lock:
        if key not in _classifier_cache:
            logger.info("Loading the beat classifier (weights: %s)", key or "default")
            _classifier_cache[key] = load_classifier(weights_path)
        return _classifier_cache[key]


class ClassificationWorker(QtCore.QObject):
    """Worker that classifies every beat of one record in its own QThread.

    Exactly one of `finished`, `failed` or `cancelled` is emitted per run.
    """

    progress = QtCore.Signal(int, int)
    """Beats classified so far and the record's total number of beats."""
    model_loading = QtCore.Signal()
    """Emitted before JAX is imported and the weights are loaded, which can take seconds."""
    finished = QtCore.Signal(object)
    """The `RecordPrediction` of the record."""
    failed = QtCore.Signal(str)
    """A message that names the record's file and the error."""
    cancelled = QtCore.Signal()

    def __init__(self, record: EcgRecord, weights_path: str | Path | None = None) -> None:
        super().__init__()
        self.record = record
        self.weights_path = weights_path
        self._cancel_requested = threading.Event()

    def request_cancel(self) -> None:
        """Ask the run to stop at the next batch boundary. Safe to call from any thread."""
        self._cancel_requested.set()

    def is_cancel_requested(self) -> bool:
        return self._cancel_requested.is_set()

    @QtCore.Slot()
    def run(self) -> None:
        """Load the classifier (cached after the first record) and classify the record."""
        file_name = self.record.header_path.name
        if self.is_cancel_requested():
            logger.info("Classification of %s cancelled before the model loaded", file_name)
            self.cancelled.emit()
            return

        try:
            self.model_loading.emit()
            from model.inference import ClassificationCancelled, classify_record

            classifier = get_classifier(self.weights_path)
        except Exception as error:
            logger.exception("Loading the classifier for %s failed", file_name)
            self.failed.emit(f"Loading the beat classifier for {file_name} failed: {error}")
            return

        if self.is_cancel_requested():
            logger.info("Classification of %s cancelled after the model loaded", file_name)
            self.cancelled.emit()
            return

        try:
            prediction = classify_record(
                self.record,
                classifier,
                progress=self._report_progress,
                should_cancel=self.is_cancel_requested,
            )
        except ClassificationCancelled:
            logger.info("Classification of %s cancelled", file_name)
            self.cancelled.emit()
        except Exception as error:
            logger.exception("Classifying %s failed", file_name)
            self.failed.emit(f"Classifying the beats of {file_name} failed: {error}")
        else:
            self.finished.emit(prediction)

    def _report_progress(self, done_beats: int, total_beats: int) -> None:
        self.progress.emit(int(done_beats), int(total_beats))


class ClassificationRun:
    """A worker and the QThread it runs in, kept together so neither is collected early."""

    def __init__(self, record: EcgRecord, weights_path: str | Path | None = None) -> None:
        self.thread = QtCore.QThread()
        self.thread.setObjectName(f"classify {record.record_name}")
        self.worker = ClassificationWorker(record, weights_path)
        self.worker.moveToThread(self.thread)

        self.thread.started.connect(self.worker.run)
        # QThread.quit is thread-safe, so the worker thread quits its own event loop. A queued
        # quit would need the GUI thread, which deadlocks while the GUI thread waits in wait().
        direct = QtCore.Qt.ConnectionType.DirectConnection
        self.worker.finished.connect(self.thread.quit, direct)
        self.worker.failed.connect(self.thread.quit, direct)
        self.worker.cancelled.connect(self.thread.quit, direct)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        self.worker.request_cancel()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def wait(self, timeout_ms: int) -> bool:
        """Block until the thread ends or `timeout_ms` passes, and return whether it ended."""
        return self.thread.wait(timeout_ms)
