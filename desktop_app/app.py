"""Start the Liquid ECG window."""

from __future__ import annotations

import logging
import sys

from PySide6 import QtCore, QtGui, QtWidgets

from model.data_paths import RESOURCES_DIR

ICON_FILE_NAME = "liquid-ecg-256.png"

logger = logging.getLogger(__name__)


EXIT_CLASSIFICATION_FAILED = 1
EXIT_TIMED_OUT = 3
CHECK_TIMEOUT_MS = 600_000
"""Maximum wait, in ms, of `exit_when_classified` for the record to be classified."""


def run_gui(path: str | None = None, annotator: str = "atr", exit_when_classified: bool = False) -> int:
    """Show the main window, open `path` (or the synthetic demo record) and run the event loop.

    The reference beats of `path` are read from its `annotator` annotation file.

    Returns the application's exit code. JAX loads later, in the classification
    worker, so the window appears first. With `exit_when_classified`, the
    application prints one line and quits when the first classification ends
    or an error is shown.
    """
    from desktop_app.main_window import APP_NAME, ORGANIZATION_NAME, MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)
    icon_path = RESOURCES_DIR / "icons" / ICON_FILE_NAME
    if icon_path.is_file():
        app.setWindowIcon(QtGui.QIcon(str(icon_path)))

    window = MainWindow()
    if exit_when_classified:
        _quit_when_classified(app, window)
    window.show()
    if path:
        QtCore.QTimer.singleShot(0, lambda: window.open_record(path, annotator=annotator))
    else:
        QtCore.QTimer.singleShot(0, window.open_demo_record)
    return app.exec()


def _quit_when_classified(app: QtWidgets.QApplication, window) -> None:
    """Quit `app` when the window's first classification ends, an error is shown, or the wait times out."""

    def report(line: str, code: int) -> None:
        print(line, flush=True)
        app.exit(code)

    def on_ended(outcome: str) -> None:
        if outcome == "finished" and window.prediction is not None:
            record = window.record
            labelled = int((window.prediction.predicted >= 0).sum())
            report(f"classified {record.record_name}: {labelled} of {len(record.beats)} beats labelled", 0)
        else:
            report(f"classification {outcome}: {window.last_error or 'no prediction'}", EXIT_CLASSIFICATION_FAILED)

    window.classification_ended.connect(on_ended)
    window.error_shown.connect(lambda message: report(f"error: {message}", EXIT_CLASSIFICATION_FAILED))
    QtCore.QTimer.singleShot(
        CHECK_TIMEOUT_MS, lambda: report(f"timed out after {CHECK_TIMEOUT_MS // 1000} s", EXIT_TIMED_OUT)
    )
