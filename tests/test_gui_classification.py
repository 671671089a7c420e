"""Opening a record through File > Open labels every beat and fills the neuron heatmap.

These tests run the real loader, the shipped weights and real MIT-BIH records.
The first classification in a process imports JAX and compiles the network,
so waits are generous; later records reuse the cached classifier.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from desktop_app.beat_markers import UNCLASSIFIED_LETTER
from desktop_app.main_window import MainWindow
from model.records import AAMI_CLASSES, load_record

CLASSIFY_TIMEOUT_MS = 120_000
RECORD_100_BEATS = 2273

pytestmark = pytest.mark.slow


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    main_window = MainWindow(settings=settings)
    qtbot.addWidget(main_window)
    main_window.resize(1280, 800)
    main_window.show()
    return main_window


def open_through_file_menu(window: MainWindow, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trigger File > Open with the file dialog returning `path`, as when a user picks that file."""
    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getOpenFileName",
        lambda *args, **kwargs: (str(path), "WFDB headers (*.hea)"),
    )
    window.open_action.trigger()


def test_open_record_labels_every_beat(qtbot, window, mitdb_dir, monkeypatch):
    progress_values: list[int] = []
    window.classify_progress.valueChanged.connect(progress_values.append)

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        open_through_file_menu(window, mitdb_dir / "100.hea", monkeypatch)
    assert ended.args == ["finished"], window.last_error
    prediction = window.prediction
    record = window.record

    assert record.record_name == "100"
    assert len(record.beats) == RECORD_100_BEATS
    assert "100" in window.windowTitle()
    assert progress_values[-1] == RECORD_100_BEATS
    assert not window.classify_progress.isVisible()
    assert not window.cancel_button.isVisible()

    layer = window.beat_marker_layer
    assert layer.reference_marker_count() == RECORD_100_BEATS
    assert layer.predicted_marker_count() == RECORD_100_BEATS
    for class_index, letter in enumerate(AAMI_CLASSES):
        assert len(layer.predicted_items[letter].data) == np.sum(prediction.predicted == class_index), letter
    assert len(layer.predicted_items[UNCLASSIFIED_LETTER].data) == np.sum(prediction.predicted < 0)

    # Record 100 is 98.5 % N beats, so this is a floor for a working model, not a quality measure.
    agreement = np.mean(prediction.predicted == record.beats.aami)
    assert agreement >= 0.9, f"model agrees with the reference on only {agreement:.1%} of record 100"
    assert layer.disagreement_count() == np.sum((prediction.predicted >= 0) & (prediction.predicted != record.beats.aami))

    heatmap = window.heatmap_view
    assert heatmap.image_item.image.shape[1] == 19
    assert heatmap.image_item.isVisible()
    left_s, right_s = heatmap.image_x_extent()
    covered_s = min(right_s, record.duration_s) - max(left_s, 0.0)
    assert covered_s >= 0.95 * record.duration_s
    names = [label for _, label in heatmap.plot.getAxis("left")._tickLevels[0]]
    assert names == list(prediction.neuron_names)


def test_heatmap_column_sits_at_state_time(qtbot, window, mitdb_dir):
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        window.open_record(mitdb_dir / "100.hea")
    assert ended.args == ["finished"], window.last_error
    prediction = window.prediction
    fs = window.record.fs

    left_s, right_s = window.heatmap_view.image_x_extent()
    n_columns = window.heatmap_view.image.shape[0]
    column_width_s = (right_s - left_s) / n_columns
    for column in (0, n_columns // 2, n_columns - 1):
        centre_s = left_s + (column + 0.5) * column_width_s
        assert centre_s == pytest.approx(prediction.state_sample[column] / fs, abs=1.0 / fs)


def test_cancel_draws_no_result(qtbot, window, mitdb_dir, open_and_wait):
    assert open_and_wait(window, mitdb_dir / "100.hea")
    worker = window.classification_worker
    assert window.cancel_button.isVisible()

    worker_signals: list[str] = []
    worker.cancelled.connect(lambda: worker_signals.append("cancelled"), QtCore.Qt.ConnectionType.DirectConnection)

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        qtbot.mouseClick(window.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    assert ended.args == ["cancelled"], window.last_error

    # The window's queued slot can run before the worker thread reaches this later connection.
    qtbot.waitUntil(lambda: worker_signals == ["cancelled"], timeout=5_000)
    assert not window.is_classifying()
    assert window.prediction is None
    assert window.beat_marker_layer.predicted_marker_count() == 0
    assert window.beat_marker_layer.reference_marker_count() == RECORD_100_BEATS
    assert not window.heatmap_view.image_item.isVisible()
    assert not window.classify_progress.isVisible()


def test_cancel_between_batches(qtbot, window, mitdb_dir):
    progress_reports: list[int] = []

    def cancel_at_first_batch(worker) -> None:
        # Runs in the worker thread, so the cancel lands before the next batch starts.
        def cancel(done_beats: int, total_beats: int) -> None:
            progress_reports.append(done_beats)
            worker.request_cancel()

        worker.progress.connect(cancel, QtCore.Qt.ConnectionType.DirectConnection)

    window.classification_started.connect(cancel_at_first_batch)
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        window.open_record(mitdb_dir / "100.hea")
    assert ended.args == ["cancelled"], window.last_error

    assert len(progress_reports) == 1
    assert progress_reports[0] < RECORD_100_BEATS
    assert window.prediction is None
    assert window.beat_marker_layer.predicted_marker_count() == 0
    assert not window.heatmap_view.image_item.isVisible()


def test_open_after_cancel_succeeds(qtbot, window, mitdb_dir, open_and_wait):
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, mitdb_dir / "100.hea", cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, mitdb_dir / "103.hea")
    assert ended.args == ["finished"], window.last_error

    expected_beats = len(load_record(mitdb_dir / "103.hea").beats)
    assert window.record.record_name == "103"
    assert len(window.prediction.predicted) == expected_beats
    assert window.beat_marker_layer.predicted_marker_count() == expected_beats


def test_new_record_replaces_running_classification(qtbot, window, mitdb_dir, open_and_wait):
    # The first worker waits at its first batch boundary until 103 is shown, so it cannot
    # finish while 103 loads in the background.
    record_103_shown = threading.Event()
    workers = []

    def hold_first_worker(worker) -> None:
        workers.append(worker)
        if len(workers) == 1:
            worker.progress.connect(
                lambda done_beats, total_beats: record_103_shown.wait(CLASSIFY_TIMEOUT_MS / 1000),
                QtCore.Qt.ConnectionType.DirectConnection,
            )

    window.classification_started.connect(hold_first_worker)
    assert open_and_wait(window, mitdb_dir / "100.hea")
    first_worker = workers[0]

    window.record_opened.connect(lambda record: record_103_shown.set())
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        window.open_record(mitdb_dir / "103.hea")
    assert ended.args == ["finished"], window.last_error

    assert first_worker.is_cancel_requested()
    assert window.record.record_name == "103"
    assert np.array_equal(window.prediction.sample, window.record.beats.sample)
