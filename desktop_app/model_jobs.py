"""Run the window's model computations one at a time off the GUI thread.

Attribution, counterfactual edits and the counterfactual search all call the
network, and each takes from tens of milliseconds to seconds. `ModelJobRunner`
runs them in order in one Python thread, so objects such as an `EditSession`
are only ever touched by that thread, and hands each result back to the GUI
thread through a queued Qt signal. Classifying a whole record stays with
`ClassificationWorker`, which has its own thread and progress reporting.

A job's function receives the `Job` and may poll `job.is_cancelled()`. A job
cancelled before it starts never runs, and the callbacks of a cancelled job
are never called, even if it had already finished.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6 import QtCore

logger = logging.getLogger(__name__)

_STOP = object()
"""Queued after the last job to end the worker thread."""


@dataclass(eq=False)
class Job:
    """One computation submitted to a `ModelJobRunner`."""

    number: int
    name: str
    function: Callable[[Job], Any]
    on_done: Callable[[Any], None] | None = None
    on_failed: Callable[[str], None] | None = None
    expected_errors: tuple[type[Exception], ...] = ()
    """Exceptions that are the user's input, not bugs: logged as one line without a traceback."""
    result: Any = None
    error: str | None = None
    elapsed_s: float = 0.0
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Drop the job: it does not start if it has not, and its callbacks are not called."""
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()


class ModelJobRunner(QtCore.QObject):
    """A queue of model computations served by one worker thread."""

    job_finished = QtCore.Signal(object)
    """The `Job` whose `result` is set, after its `on_done` callback ran."""
    job_failed = QtCore.Signal(object)
    """The `Job` whose `error` is set, after its `on_failed` callback ran."""
    busy_changed = QtCore.Signal(bool)
    """True when a job starts with none running, False when the queue has drained."""

    _ended = QtCore.Signal(object)
    """Emitted from the worker thread and queued to the GUI thread, where `_deliver` runs."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.Queue[Job | object] = queue.Queue()
        self._numbers = itertools.count(1)
        self._outstanding = 0
        self._thread: threading.Thread | None = None
        self._running: Job | None = None
        """The job the worker thread is running; set and cleared by that thread."""
        self._ended.connect(self._deliver, QtCore.Qt.ConnectionType.QueuedConnection)
        application = QtCore.QCoreApplication.instance()
        if application is not None:
            # An application that exits without closing the window would otherwise leave the
            # thread inside JAX at interpreter exit, which aborts the process.
            application.aboutToQuit.connect(self.shutdown)

    def submit(
        self,
        name: str,
        function: Callable[[Job], Any],
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        expected_errors: tuple[type[Exception], ...] = (),
    ) -> Job:
        """Queue `function(job)`. Later, `on_done(result)` or `on_failed(message)` runs in the GUI thread."""
        job = Job(next(self._numbers), name, function, on_done, on_failed, expected_errors)
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="liquid-ecg model jobs", daemon=True)
            self._thread.start()
        self._outstanding += 1
        if self._outstanding == 1:
            self.busy_changed.emit(True)
        self._queue.put(job)
        return job

    def is_busy(self) -> bool:
        """Tell whether a submitted job has not been delivered yet."""
        return self._outstanding > 0

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Stop the worker after the running job and return whether it ended within `timeout_s`.

        Queued jobs are dropped, and the running job is cancelled, so it can stop
        early if it polls `is_cancelled()`. Call it when the owning window closes.
        """
        thread = self._thread
        if thread is None:
            return True
        running = self._running
        if running is not None:
            running.cancel()
        while True:
            try:
                pending = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(pending, Job):
                pending.cancel()
        self._queue.put(_STOP)
        thread.join(timeout_s)
        self._thread = None
        if thread.is_alive():
            logger.warning("A model job was still running %.0f s after the window closed", timeout_s)
            return False
        return True

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            if not job.is_cancelled():
                self._running = job
                started = time.perf_counter()
                try:
                    job.result = job.function(job)
                except job.expected_errors as error:
                    # The user sees the message through on_failed; a traceback would only add noise.
                    logger.warning("Job %r failed: %s", job.name, error)
                    job.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                except Exception as error:
                    logger.exception("Model job %r failed", job.name)
                    job.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                job.elapsed_s = time.perf_counter() - started
                self._running = None
            self._ended.emit(job)

    @QtCore.Slot(object)
    def _deliver(self, job: Job) -> None:
        self._outstanding -= 1
        try:
            if job.is_cancelled():
                return
            if job.error is None:
                if job.on_done is not None:
                    job.on_done(job.result)
                self.job_finished.emit(job)
            else:
                if job.on_failed is not None:
                    job.on_failed(job.error)
                self.job_failed.emit(job)
        finally:
            if self._outstanding == 0:
                self.busy_changed.emit(False)
