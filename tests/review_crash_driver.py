"""Run the real window on a record, press review keys, report each saved verdict, then keep running.

The crash-safety test starts this script as a subprocess and kills it with
SIGKILL once every key has been pressed. Usage:

    python review_crash_driver.py RECORD.hea SETTINGS.ini KEY [KEY ...]

KEY is a Qt key name without the `Key_` prefix (Down, V, S, ...). The script
prints "saved BEAT" after each verdict is written and "keys done" after the
last key, then runs the event loop until it is killed.
"""

from __future__ import annotations

import sys

from PySide6 import QtCore, QtTest, QtWidgets

from desktop_app.main_window import MainWindow


def report(line: str) -> None:
    print(line, flush=True)


def press_keys(window: MainWindow, key_names: list[str]) -> None:
    for name in key_names:
        key = getattr(QtCore.Qt.Key, f"Key_{name}")
        target = QtWidgets.QApplication.focusWidget() or window
        QtTest.QTest.keyClick(target, key)
    report("keys done")


def main(record_path: str, settings_path: str, key_names: list[str]) -> int:
    app = QtWidgets.QApplication(sys.argv[:1])
    settings = QtCore.QSettings(settings_path, QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.review_controller.verdict_saved.connect(lambda beat: report(f"saved {beat}"))
    window.show()
    QtTest.QTest.qWaitForWindowExposed(window)
    window.activateWindow()

    def on_ended(outcome: str) -> None:
        report(f"classification {outcome}")
        QtCore.QTimer.singleShot(0, lambda: press_keys(window, key_names))

    def on_open_failed(message: str) -> None:
        report(f"error {message}")
        app.exit(1)

    window.classification_ended.connect(on_ended)
    window.classification_started.connect(lambda worker: window.cancel_classification())
    window.record_open_failed.connect(on_open_failed)
    window.open_record(record_path)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
