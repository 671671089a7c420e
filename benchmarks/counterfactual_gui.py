"""Time from clicking Apply in the counterfactual editor to the updated labels painted (offscreen window).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/counterfactual_gui.py [RECORD.hea] [--edits 20]

Opens the record in the main window, waits for its classification and opens
the Counterfactual dock. Then, for each of `edits` beats spread over the
record, it selects the beat (the region snaps to it), clicks Apply with
"Scale amplitude x0.5", waits for the editor's `edit_shown` signal and
repaints the waveform. Each edit starts once the beat detail's attribution
of the selected beat, which runs on the same job runner, has finished. The edit is undone before the next one and that is not timed.
Prints the median, minimum and maximum of the click-to-paint time and of the
session's own re-classification time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtTest, QtWidgets  # noqa: E402

from model.data_paths import require_data_dir  # noqa: E402

TIMEOUT_S = 180.0


def wait_until(condition, timeout_s: float = TIMEOUT_S) -> None:
    """Process Qt events until `condition()` is true, or raise TimeoutError after `timeout_s`."""
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s:.0f} s")
        QtTest.QTest.qWait(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("record", nargs="?", help="record header (default: MIT-BIH 100)")
    parser.add_argument("--edits", type=int, default=20, help="number of timed edits")
    args = parser.parse_args()
    path = Path(args.record) if args.record else require_data_dir() / "mitdb" / "100.hea"

    app = QtWidgets.QApplication([])
    from desktop_app.main_window import MainWindow

    settings_file = Path(tempfile.mkdtemp()) / "settings.ini"
    window = MainWindow(settings=QtCore.QSettings(str(settings_file), QtCore.QSettings.Format.IniFormat))
    window.resize(1600, 1000)
    window.show()
    classified = []
    window.classification_finished.connect(classified.append)
    window.open_record(path)
    wait_until(lambda: classified)

    controller = window.counterfactual_controller
    controller.open_editor()
    wait_until(lambda: controller.snapshot is not None)
    controller.panel.set_tool("scale")
    controller.panel.set_value(0.5)
    shown = []
    controller.edit_shown.connect(shown.append)

    n_beats = len(window.record.beats)
    beats = [int(n_beats * (index + 1) / (args.edits + 2)) for index in range(args.edits + 1)]
    click_to_paint_s, session_s = [], []
    for number, beat in enumerate(beats):
        window.review_controller.panel.select_beat(beat)
        # Selecting a beat also queues its attribution on the same job runner. The clock
        # measures the edit alone, so it starts once that job is done.
        wait_until(lambda: not window.model_jobs.is_busy())

        started = time.perf_counter()
        count = len(shown)
        controller.panel.apply_button.click()
        wait_until(lambda: len(shown) > count)
        window.lead_column.viewport().repaint()
        elapsed_s = time.perf_counter() - started

        # The first edit is a warm-up: it allocates the overlay curves.
        if number > 0:
            click_to_paint_s.append(elapsed_s)
            session_s.append(shown[-1].elapsed_s)
        count = len(shown)
        controller.undo()
        wait_until(lambda: len(shown) > count)

    print(f"record {window.record.record_name}, {n_beats} beats, {len(click_to_paint_s)} edits (scale x0.5, 400 ms region)")
    print("| measure | median (ms) | min (ms) | max (ms) |")
    print("|---|---|---|---|")
    for name, values in (("Apply click to labels painted", click_to_paint_s), ("session re-classification", session_s)):
        print(
            f"| {name} | {1000 * statistics.median(values):.0f} | {1000 * min(values):.0f} | {1000 * max(values):.0f} |"
        )
    window.close()


if __name__ == "__main__":
    main()
