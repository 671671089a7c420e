"""Records load, and the model lead changes, off the GUI thread: the window keeps working meanwhile.

Loading is held at a known point by wrapping `load_record` (or
`with_model_channel`) with a function that waits for a `threading.Event`, so
each test checks the window while the real loader is in progress.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6 import QtCore

import desktop_app.main_window as main_window_module
from desktop_app.main_window import MainWindow
from model.records import load_record, with_model_channel

CLASSIFY_TIMEOUT_MS = 120_000
HOLD_TIMEOUT_S = 30.0
TICK_INTERVAL_MS = 10
MAX_EVENT_LOOP_GAP_S = 0.25
"""Maximum pause of a 10 ms timer allowed while a load runs, far below the seconds a 24-hour record takes."""


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch) -> MainWindow:
    # Reviews of the read-only MIT-BIH records go to the user data folder: keep them in tmp_path.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.resize(1280, 800)
    main_window.show()
    # The network never runs here: each classification is cancelled before its thread starts.
    main_window.classification_started.connect(lambda worker: main_window.cancel_classification())
    return main_window


class HeldLoader:
    """Stands in for `load_record`: loads for real, then waits until the test releases that path."""

    def __init__(self) -> None:
        self.released: dict[str, threading.Event] = {}
        self.loaded: dict[str, threading.Event] = {}
        self.threads: list[int] = []

    def hold(self, path: Path) -> None:
        self.released[path.name] = threading.Event()
        self.loaded[path.name] = threading.Event()

    def release(self, path: Path) -> None:
        self.released[path.name].set()

    def __call__(self, path, annotator: str = "atr"):
        self.threads.append(threading.get_ident())
        record = load_record(path, annotator)
        name = Path(path).name
        if name in self.released:
            self.loaded[name].set()
            assert self.released[name].wait(HOLD_TIMEOUT_S), f"the test never released {name}"
        return record


@pytest.fixture
def held_loader(monkeypatch) -> HeldLoader:
    loader = HeldLoader()
    monkeypatch.setattr(main_window_module, "load_record", loader)
    yield loader
    for event in loader.released.values():
        event.set()


class TickRecorder:
    """A 10 ms QTimer on the GUI thread that records when each timeout was handled."""

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.timer = QtCore.QTimer()
        self.timer.setInterval(TICK_INTERVAL_MS)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.stamps.append(time.perf_counter())

    def start(self) -> None:
        self.stamps.clear()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def max_gap_s(self) -> float:
        return max(later - earlier for earlier, later in zip(self.stamps, self.stamps[1:]))


def show_record_without_model(qtbot, window: MainWindow, path: Path, open_and_wait) -> None:
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, path)
    assert ended.args == ["cancelled"], window.last_error


def test_window_responds_while_record_loads(qtbot, window, mitdb_dir, held_loader, open_and_wait):
    show_record_without_model(qtbot, window, mitdb_dir / "100.hea", open_and_wait)
    shown_record = window.record
    held_loader.hold(mitdb_dir / "103.hea")
    opened = []
    window.record_opened.connect(opened.append)
    ticks = TickRecorder()

    ticks.start()
    window.open_record(mitdb_dir / "103.hea")
    qtbot.waitUntil(held_loader.loaded["103.hea"].is_set, timeout=10_000)
    start_s, end_s = window.lead_column.visible_range()
    window.lead_column.scroll_by(1.0)
    qtbot.wait(300)
    ticks.stop()

    assert held_loader.threads[-1] != threading.get_ident()
    assert opened == []
    assert window.record is shown_record
    assert window.is_opening()
    assert window.open_progress.isVisible()
    assert window.statusBar().currentMessage() == "Opening 103.hea…"
    assert window.lead_column.visible_range()[0] == pytest.approx(end_s)
    assert len(ticks.stamps) >= 10
    assert ticks.max_gap_s() < MAX_EVENT_LOOP_GAP_S

    with qtbot.waitSignal(window.record_opened, timeout=10_000):
        held_loader.release(mitdb_dir / "103.hea")
    assert window.record.record_name == "103"
    assert not window.is_opening()
    assert not window.open_progress.isVisible()
    assert "Opening" not in window.statusBar().currentMessage()


def test_later_open_drops_stale_load(qtbot, window, mitdb_dir, held_loader, open_and_wait):
    held_loader.hold(mitdb_dir / "100.hea")
    opened = []
    window.record_opened.connect(lambda record: opened.append(record.record_name))

    def open_103_then_finish_100() -> None:
        window.open_record(mitdb_dir / "103.hea")
        held_loader.release(mitdb_dir / "100.hea")

    window.open_record(mitdb_dir / "100.hea")
    qtbot.waitUntil(held_loader.loaded["100.hea"].is_set, timeout=10_000)
    # The second request queues behind the running load, which finishes first but is dropped.
    assert open_and_wait(window, open_103_then_finish_100)

    assert opened == ["103"]
    assert window.record.record_name == "103"
    assert window.recent_files.paths() == [str((mitdb_dir / "103.hea").resolve())]
    assert not window.open_progress.isVisible()


def test_stale_failure_shows_no_error(qtbot, window, mitdb_dir, tmp_path, monkeypatch, open_and_wait):
    broken = tmp_path / "broken.hea"
    broken.write_text("this is not a WFDB header\n")
    errors = []
    window.error_shown.connect(errors.append)
    release_broken = threading.Event()

    def load_after_release(path, annotator="atr"):
        if Path(path).name == "broken.hea":
            assert release_broken.wait(HOLD_TIMEOUT_S)
        return load_record(path, annotator)

    def open_100_then_fail_broken() -> None:
        window.open_record(mitdb_dir / "100.hea")
        release_broken.set()

    monkeypatch.setattr(main_window_module, "load_record", load_after_release)
    window.record_open_failed.connect(lambda message: errors.append(f"record_open_failed: {message}"))

    window.open_record(broken)
    assert open_and_wait(window, open_100_then_fail_broken)

    assert window.record.record_name == "100"
    assert errors == []


def test_failed_open_keeps_previous_record(qtbot, window, mitdb_dir, tmp_path, open_and_wait):
    show_record_without_model(qtbot, window, mitdb_dir / "100.hea", open_and_wait)
    shown_record = window.record
    title = window.windowTitle()
    truncated = tmp_path / "100.hea"
    truncated.write_bytes((mitdb_dir / "100.hea").read_bytes())
    (tmp_path / "100.dat").write_bytes((mitdb_dir / "100.dat").read_bytes()[:5000])

    with qtbot.waitSignal(window.record_open_failed, timeout=10_000) as failed:
        window.open_record(truncated)

    assert "100.dat" in failed.args[0]
    assert window.last_error == failed.args[0]
    assert window.record is shown_record
    assert window.lead_column.record is shown_record
    assert window.windowTitle() == title
    assert not window.is_opening()
    assert not window.open_progress.isVisible()
    assert "Opening" not in window.statusBar().currentMessage()
    start_s, end_s = window.lead_column.visible_range()
    window.lead_column.scroll_by(1.0)
    assert window.lead_column.visible_range()[0] == pytest.approx(end_s)

    show_record_without_model(qtbot, window, mitdb_dir / "103.hea", open_and_wait)
    assert window.record.record_name == "103"


def test_model_lead_changes_off_gui_thread(qtbot, window, data_dir, monkeypatch, open_and_wait):
    show_record_without_model(qtbot, window, data_dir / "formats" / "test01_00s.hea", open_and_wait)
    shown_record = window.record
    assert shown_record.beats.source == "detected"
    release = threading.Event()
    started = threading.Event()
    threads = []

    def held_with_model_channel(record, channel):
        threads.append(threading.get_ident())
        started.set()
        assert release.wait(HOLD_TIMEOUT_S)
        return with_model_channel(record, channel)

    monkeypatch.setattr(main_window_module, "with_model_channel", held_with_model_channel)
    ticks = TickRecorder()

    ticks.start()
    window.model_lead_combo.choose_channel(3)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    qtbot.wait(300)
    ticks.stop()

    assert len(threads) == 1
    assert threads[0] != threading.get_ident()
    assert window.record is shown_record
    assert window.open_progress.isVisible()
    assert window.statusBar().currentMessage() == "Detecting beats on ECG 4…"
    assert len(ticks.stamps) >= 10
    assert ticks.max_gap_s() < MAX_EVENT_LOOP_GAP_S

    with qtbot.waitSignal(window.record_opened, timeout=10_000) as opened:
        release.set()

    assert opened.args[0] is window.record
    assert window.record.model_channel == 3
    assert window.model_lead_combo.currentText() == "Model lead: ECG 4"
    assert not window.open_progress.isVisible()


def test_open_drops_pending_lead_change(qtbot, window, data_dir, mitdb_dir, monkeypatch, open_and_wait):
    show_record_without_model(qtbot, window, data_dir / "formats" / "test01_00s.hea", open_and_wait)
    release = threading.Event()

    def held_with_model_channel(record, channel):
        assert release.wait(HOLD_TIMEOUT_S)
        return with_model_channel(record, channel)

    monkeypatch.setattr(main_window_module, "with_model_channel", held_with_model_channel)
    opened = []
    window.record_opened.connect(lambda record: opened.append(record.record_name))

    def open_100_then_finish_lead_change() -> None:
        window.open_record(mitdb_dir / "100.hea")
        release.set()

    window.model_lead_combo.choose_channel(3)
    assert window.is_opening()
    assert open_and_wait(window, open_100_then_finish_lead_change)
    qtbot.wait(100)

    assert opened == ["100"]
    assert window.record.record_name == "100"
    assert not window.is_opening()


def test_close_during_load_stops_loader(qtbot, window, mitdb_dir, held_loader):
    held_loader.hold(mitdb_dir / "100.hea")
    opened = []
    window.record_opened.connect(opened.append)

    window.open_record(mitdb_dir / "100.hea")
    qtbot.waitUntil(held_loader.loaded["100.hea"].is_set, timeout=10_000)
    threading.Timer(0.2, held_loader.release, args=(mitdb_dir / "100.hea",)).start()
    window.close()
    qtbot.wait(100)

    live_threads = {thread.ident for thread in threading.enumerate()}
    assert opened == []
    assert window.record is None
    assert held_loader.threads[0] not in live_threads
