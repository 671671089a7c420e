"""Start the Liquid ECG window."""

from __future__ import annotations

import logging
import sys

from PySide6 import QtCore, QtWidgets

logger = logging.getLogger(__name__)


def run_gui(path: str | None = None) -> int:
    """Show the main window, open `path` (or the synthetic demo record) and run the event loop.

    Returns the application's exit code. JAX loads later, in the classification
    worker, so the window appears first.
    """
    from desktop_app.main_window import APP_NAME, ORGANIZATION_NAME, MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)

    window = MainWindow()
    window.show()
    if path:
        QtCore.QTimer.singleShot(0, lambda: window.open_record(path))
    else:
        QtCore.QTimer.singleShot(0, window.open_demo_record)
    return app.exec()
