"""Crash safety: verdicts made in a real app process survive SIGKILL."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import wfdb
from PySide6 import QtCore

from desktop_app.main_window import MainWindow

REPO_ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).with_name("review_crash_driver.py")
DRIVER_TIMEOUT_S = 180
"""Guard against a hung driver only; the driver needs a few seconds, mostly importing JAX in its worker."""
CLASSIFY_TIMEOUT_MS = 120_000
END_OF_OUTPUT = "\0end of output"


def read_lines_until(process: subprocess.Popen, last_line: str) -> list[str]:
    """Collect the driver's stdout lines up to `last_line`; fail when it exits or hangs first."""
    lines: queue.Queue[str] = queue.Queue()

    def forward_lines() -> None:
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(END_OF_OUTPUT)

    threading.Thread(target=forward_lines, daemon=True).start()
    received: list[str] = []
    while True:
        try:
            line = lines.get(timeout=DRIVER_TIMEOUT_S)
        except queue.Empty:
            process.kill()
            pytest.fail(f"the driver did not print {last_line!r} within {DRIVER_TIMEOUT_S} s; output: {received}")
        if line == END_OF_OUTPUT:
            pytest.fail(f"the driver exited early; its output was {received} and stderr {process.stderr.read()[-2000:]}")
        received.append(line)
        if line == last_line:
            return received


def test_verdicts_survive_sigkill(qtbot, tmp_path, linked_record_100, monkeypatch, open_and_wait):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PYTHONUNBUFFERED="1")
    keys = ["Down", "V", "Down", "Down", "S", "Down", "F", "Down", "Down", "Down", "V", "Down", "R"]
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), str(linked_record_100), str(tmp_path / "settings.ini"), *keys],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    try:
        lines = read_lines_until(process, "keys done")
        assert process.poll() is None, "the driver exited by itself, so the kill would prove nothing"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert [line for line in lines if line.startswith("saved")] == [
        "saved 1", "saved 3", "saved 4", "saved 7", "saved 8"
    ]

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS):
        assert open_and_wait(window, linked_record_100, cancel_classification=True)

    review = window.review_controller.review
    symbols = {beat: verdict.symbol for beat, verdict in review.verdicts.items()}
    assert symbols == {1: "V", 3: "A", 4: "F", 7: "V", 8: "N"}
    assert window.review_controller.panel.current_beat() == 8
    annotation = wfdb.rdann(str(linked_record_100.with_suffix("")), "rev")
    assert list(annotation.sample) == [window.record.beats.sample[beat] for beat in (1, 3, 4, 7, 8)]
    assert annotation.symbol == ["V", "A", "F", "V", "N"]
    leftovers = [path.name for path in linked_record_100.parent.iterdir() if path.name.startswith(".")]
    assert leftovers == []
