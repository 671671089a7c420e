"""Write a 24-hour, 2-lead, 360 Hz record from MIT-BIH records and measure opening, scrolling and classifying it.

    .venv/bin/python benchmarks/long_record.py write [--out /tmp/liquid-ecg-long]
    .venv/bin/python benchmarks/long_record.py load RECORD.hea
    .venv/bin/python benchmarks/long_record.py gui RECORD.hea
    /usr/bin/time -f "%e s, %M KB" .venv/bin/liquid-ecg classify RECORD.hea --out DIR

`write` concatenates 48 half-hour MIT-BIH records (the 45 whose first lead is
MLII, then 100, 101 and 103 again) into one format 212 record of 31.2 million
samples per lead, with their beat annotations. Never commit its 94 MB.

`load` times `load_record`. `gui` opens the record in the main window
offscreen, times scrolling by one page 50 times, waits for classification and
prints the process's peak resident memory (VmHWM from /proc/self/status). It
also prints the maximum time the GUI thread did not serve its event loop while
the record opened and while it was classified: the largest gap between the
timeouts of a 10 ms QTimer.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np


def peak_resident_mib() -> float:
    """Return this process's peak resident set size in MiB, from /proc/self/status (Linux only)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class EventLoopGaps:
    """Timestamps of a 10 ms QTimer's timeouts, which show how long the GUI thread was busy."""

    def __init__(self) -> None:
        from PySide6 import QtCore

        self.stamps: list[float] = []
        self.timer = QtCore.QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))

    def start(self) -> None:
        self.stamps = [time.perf_counter()]
        self.timer.start()

    def stop(self) -> str:
        self.timer.stop()
        self.stamps.append(time.perf_counter())
        gaps_ms = 1000 * np.diff(self.stamps)
        return f"maximum event-loop gap {gaps_ms.max():.0f} ms, {int((gaps_ms > 100).sum())} gaps over 100 ms"


def write_long_record(out_dir: Path) -> Path:
    import wfdb

    from model.data_paths import require_data_dir

    mitdb_dir = require_data_dir() / "mitdb"
    names = []
    for header_path in sorted(mitdb_dir.glob("*.hea")):
        if wfdb.rdheader(str(header_path.with_suffix(""))).sig_name[0] == "MLII":
            names.append(header_path.stem)
    names += ["100", "101", "103"]

    signals, samples, symbols = [], [], []
    offset = 0
    for name in names:
        record = wfdb.rdrecord(str(mitdb_dir / name), physical=False)
        signals.append(record.d_signal.astype(np.int16))
        annotation = wfdb.rdann(str(mitdb_dir / name), "atr")
        samples.append(annotation.sample + offset)
        symbols += annotation.symbol
        offset += record.sig_len

    out_dir.mkdir(parents=True, exist_ok=True)
    digital = np.concatenate(signals)
    del signals
    wfdb.wrsamp(
        "holter24", fs=360, units=["mV", "mV"], sig_name=["MLII", "V"], d_signal=digital, fmt=["212", "212"],
        adc_gain=[200.0, 200.0], baseline=[1024, 1024], write_dir=str(out_dir),
        comments=[f"24-hour test record: MIT-BIH records {' '.join(names)} concatenated"],
    )
    wfdb.wrann("holter24", "atr", np.concatenate(samples), symbol=symbols, write_dir=str(out_dir))
    print(f"{out_dir / 'holter24.hea'}: {len(names)} records, {digital.shape[0]} samples, "
          f"{digital.shape[0] / 360 / 3600:.2f} h")
    return out_dir / "holter24.hea"


def measure_load(path: Path) -> None:
    from model.records import load_record

    started = time.perf_counter()
    record = load_record(path)
    print(f"load_record: {time.perf_counter() - started:.2f} s, {record.n_samples} samples, "
          f"{len(record.beats)} beats, peak RSS {peak_resident_mib():.0f} MiB")


def measure_gui(path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    from PySide6 import QtCore, QtWidgets

    from desktop_app.main_window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    settings = QtCore.QSettings(str(Path(os.environ.get("TMPDIR", "/tmp")) / "long-bench.ini"),
                                QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.resize(1280, 800)
    window.show()
    app.processEvents()

    ended: list[str] = []
    progress: list[float] = []
    window.classification_ended.connect(ended.append)
    window.classification_started.connect(
        lambda worker: worker.progress.connect(lambda done, total: progress.append(time.perf_counter()))
    )

    outcomes: list[str] = []
    window.record_opened.connect(lambda record: outcomes.append("opened"))
    window.record_open_failed.connect(outcomes.append)
    gaps = EventLoopGaps()
    gaps.start()
    started = time.perf_counter()
    window.open_record(path)
    while not outcomes:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.001)
    shown_s = time.perf_counter() - started
    app.processEvents()
    print(f"open_record until the window shows the record: {shown_s:.2f} s ({outcomes[0]}), "
          f"{gaps.stop()}, peak RSS so far {peak_resident_mib():.0f} MiB")

    frame_times = []
    for _ in range(50):
        stamp = time.perf_counter()
        window.lead_column.scroll_by(1.0)
        window.lead_column.repaint()
        window.heatmap_view.repaint()
        app.processEvents()
        frame_times.append(time.perf_counter() - stamp)
    frame_ms = 1000 * np.array(frame_times)
    print(f"scroll by one page and repaint, 50 times: median {np.median(frame_ms):.0f} ms, "
          f"max {frame_ms.max():.0f} ms, peak RSS so far {peak_resident_mib():.0f} MiB")

    classify_started = time.perf_counter()
    gaps.start()
    while not ended:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.001)
    print(f"classification {ended[0]} after {time.perf_counter() - classify_started:.1f} s more, "
          f"{len(progress)} progress reports, {len(window.record.beats)} beats, {gaps.stop()}")
    if window.prediction is not None:
        print(f"state track: {window.prediction.states.shape}, "
              f"{window.prediction.states.nbytes / 2**20:.0f} MiB")

    stamp = time.perf_counter()
    window.lead_column.show_whole_record()
    window.lead_column.repaint()
    app.processEvents()
    print(f"show the whole record: {1000 * (time.perf_counter() - stamp):.0f} ms")
    print(f"peak RSS of the GUI process: {peak_resident_mib():.0f} MiB")
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["write", "load", "gui"])
    parser.add_argument("record", nargs="?", type=Path, help="the record's .hea (load, gui)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/liquid-ecg-long"), help="folder for write")
    args = parser.parse_args()

    if args.command == "write":
        write_long_record(args.out)
    elif args.command == "load":
        measure_load(args.record)
    else:
        measure_gui(args.record)


if __name__ == "__main__":
    main()
