"""Use the product with every Python socket operation recorded, then print what was attempted.

The offline test runs this script in a fresh interpreter, so the audit hook is
in place before JAX, Qt or wfdb are imported. Usage:

    python offline_driver.py RECORD.hea OUT_DIR SETTINGS.ini

It classifies the record with `liquid-ecg classify`, opens it in the window
(offscreen), waits for the worker, opens the synthetic demo record, and then
prints one JSON line: {"events": [...], "classified": bool, "window": str}.
"""

from __future__ import annotations

import json
import socket
import sys

NETWORK_FAMILIES = {socket.AF_INET, socket.AF_INET6}
events: list[str] = []


def audit(event: str, args: tuple) -> None:
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "urllib.Request"):
        events.append(f"{event} {args[0]!r}")
    elif event in ("socket.connect", "socket.sendto", "socket.bind"):
        sock = args[0]
        if getattr(sock, "family", None) in NETWORK_FAMILIES:
            events.append(f"{event} {args[1]!r}")


sys.addaudithook(audit)


def main(record_path: str, out_dir: str, settings_path: str) -> int:
    from desktop_app.cli import main as cli_main

    classified = cli_main(["classify", record_path, "--out", out_dir]) == 0

    from PySide6 import QtCore, QtWidgets

    from desktop_app.main_window import MainWindow

    app = QtWidgets.QApplication(sys.argv[:1])
    settings = QtCore.QSettings(settings_path, QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    outcomes: list[str] = []
    loop = QtCore.QEventLoop()

    def on_ended(outcome: str) -> None:
        outcomes.append(outcome)
        loop.quit()

    window.classification_ended.connect(on_ended)
    QtCore.QTimer.singleShot(120_000, loop.quit)
    window.open_record(record_path)
    loop.exec()
    window.open_demo_record()
    QtCore.QTimer.singleShot(120_000, loop.quit)
    loop.exec()
    window.close()
    app.processEvents()
    print(json.dumps({"events": events, "classified": classified, "window": ",".join(outcomes)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
