"""The counterfactual editor driven through the window's widgets, on MIT-BIH records 100 and 233."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from conftest import new_main_window, open_record_and_wait
from model.records import AAMI_CLASSES

N, V = AAMI_CLASSES.index("N"), AAMI_CLASSES.index("V")
JOB_TIMEOUT_MS = 60_000
CLASSIFY_TIMEOUT_MS = 120_000


@pytest.fixture
def window_233(qtbot, tmp_path: Path, mitdb_dir: Path):
    """A main window showing MIT-BIH record 233 (many V beats), classified by the shipped model."""
    window = new_main_window(qtbot, tmp_path, 1400, 900)
    with qtbot.waitSignal(window.classification_finished, timeout=120_000):
        assert open_record_and_wait(qtbot, window, mitdb_dir / "233.hea")
    return window


@pytest.fixture
def unclassified_window(qtbot, tmp_path: Path, mitdb_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """A main window showing MIT-BIH record 100 with its reference labels (classification cancelled)."""
    # Reviews of the read-only records go to a per-user folder, kept inside the test.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    window = new_main_window(qtbot, tmp_path, 1400, 900)
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_record_and_wait(qtbot, window, mitdb_dir / "100.hea", cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error
    return window


def open_editor(qtbot, window):
    """Show the Counterfactual dock and wait until its edit session is ready."""
    controller = window.counterfactual_controller
    controller.open_editor()
    qtbot.waitUntil(lambda: controller.snapshot is not None, timeout=JOB_TIMEOUT_MS)
    return controller


def select_beat(qtbot, window, beat: int) -> None:
    assert window.review_controller.panel.select_beat(beat) is not False
    qtbot.waitUntil(lambda: window.review_controller.current_beat() == beat, timeout=5000)


def apply_tool(qtbot, controller, kind: str, value: float | None = None):
    """Choose the tool, set its value, click Apply and return the snapshot drawn."""
    controller.panel.set_tool(kind)
    if value is not None:
        controller.panel.set_value(value)
    with qtbot.waitSignal(controller.edit_shown, timeout=JOB_TIMEOUT_MS) as shown:
        controller.panel.apply_button.click()
    return shown.args[0]


def edited_signal(qtbot, window) -> np.ndarray:
    """Copy the session's whole edited signal inside a model job, as the editor's own jobs do."""
    controller = window.counterfactual_controller
    holder = controller.holder
    with qtbot.waitSignal(window.model_jobs.job_finished, timeout=JOB_TIMEOUT_MS) as finished:
        window.model_jobs.submit("read edited signal", lambda job: holder.session().signal.copy())
    return finished.args[0].result


def press_keys(qtbot, window, signal, key: QtCore.Qt.Key, modifiers: QtCore.Qt.KeyboardModifier):
    window.activateWindow()
    window.lead_column.setFocus()
    with qtbot.waitSignal(signal, timeout=JOB_TIMEOUT_MS) as shown:
        qtbot.keyClick(window.lead_column, key, modifiers)
    return shown.args[0]


def rhythm_normal_v_beat(window) -> int:
    """Return a V beat labelled V whose previous RR is closest to the patient's mean, as the model tests pick."""
    from desktop_app.classify_worker import get_classifier
    from model.preprocess import rr_features

    record = window.record
    rr, _ = rr_features(record.beats.sample, record.fs, get_classifier().input_config)
    beats = np.flatnonzero((record.beats.aami == V) & (window.prediction.predicted == V))
    beats = beats[beats > 0]
    return int(beats[np.argmin(np.abs(rr[beats, 0]))])


def test_edit_changes_only_region(qtbot, classified_window):
    window = classified_window
    controller = open_editor(qtbot, window)
    record = window.record
    select_beat(qtbot, window, 1000)
    start, stop = controller.region_samples()
    beat_sample = int(record.beats.sample[1000])
    assert start < beat_sample < stop

    snapshot = apply_tool(qtbot, controller, "baseline", 0.5)

    signal = edited_signal(qtbot, window)
    changed_rows = np.flatnonzero((signal != record.signal).any(axis=1))
    assert changed_rows.min() == start
    assert changed_rows.max() == stop - 1
    assert np.allclose(signal[start:stop, record.model_channel] - record.signal[start:stop, record.model_channel], 0.5)
    other = [channel for channel in record.ecg_channels if channel != record.model_channel]
    assert np.array_equal(signal[:, other], record.signal[:, other])

    assert [(span.channel, span.start, len(span.edited_mv)) for span in snapshot.spans] == [
        (record.model_channel, start, stop - start)
    ]
    original_curve, edited_curve = controller.overlay_curves[record.model_channel]
    assert np.allclose(edited_curve.yData[: stop - start], signal[start:stop, record.model_channel])
    assert np.array_equal(original_curve.yData[: stop - start], record.signal[start:stop, record.model_channel])
    lead_curve = window.lead_column.lead_curves[record.ecg_channels.index(record.model_channel)]
    in_region = (lead_curve.xData >= start / record.fs) & (lead_curve.xData < stop / record.fs)
    assert in_region.any()
    assert np.isnan(lead_curve.yData[in_region]).all()
    assert np.isfinite(lead_curve.yData[~in_region]).all()

    assert controller.banner.isVisible()
    assert "1 edit" in controller.banner.text()
    assert "not the recorded signal" in controller.banner.text()
    assert controller.panel.edit_list.count() == 1
    assert controller.last_edit_to_labels_s is not None


def test_scaling_v_qrs_changes_probabilities(qtbot, window_233):
    window = window_233
    controller = open_editor(qtbot, window)
    record = window.record
    predicted = window.prediction.predicted
    beside_normal = np.flatnonzero((record.beats.aami == V) & (predicted == V))[1:-1]
    beside_normal = beside_normal[(predicted[beside_normal - 1] == N) | (predicted[beside_normal + 1] == N)]
    # The one with the minimum V probability: the network reads QRS shape more
    # than amplitude, so scaling hardly moves a confident V beat.
    beat = int(beside_normal[np.argmin(window.prediction.probabilities[beside_normal, V])])
    normal = beat + 1 if predicted[beat + 1] == N else beat - 1
    select_beat(qtbot, window, beat)

    # The QRS alone, 60 ms either side of the R peak, scaled to the neighbouring N beat's peak-to-peak amplitude.
    lead = record.signal[:, record.model_channel]
    half_width = int(0.06 * record.fs)
    sample, normal_sample = int(record.beats.sample[beat]), int(record.beats.sample[normal])
    v_qrs = lead[sample - half_width : sample + half_width]
    n_qrs = lead[normal_sample - half_width : normal_sample + half_width]
    factor = float(np.ptp(n_qrs) / np.ptp(v_qrs))
    controller.set_region_samples(record.model_channel, sample - half_width, sample + half_width)

    snapshot = apply_tool(qtbot, controller, "scale", factor)

    current = int(np.flatnonzero(snapshot.beat_id == beat)[0])
    change = np.abs(snapshot.probabilities[current] - snapshot.original_probabilities[beat])
    # How far depends on the weights; the shipped ones move this beat by about 0.05.
    assert change.max() > 0.02
    rows = {row[0]: row for row in controller.panel.changed_beat_rows()}
    assert beat in rows
    assert rows[beat][1] != rows[beat][2]
    drawn = window.lead_column.beat_marker_layer.prediction
    assert np.array_equal(drawn.probabilities[current], snapshot.probabilities[current])
    assert window.lead_column.strip_plot.getAxis("left")._tickLevels[0][0][1] == "edited"


def test_ctrl_z_restores_original(qtbot, classified_window):
    window = classified_window
    controller = open_editor(qtbot, window)
    record = window.record
    original_prediction = window.prediction
    select_beat(qtbot, window, 500)
    apply_tool(qtbot, controller, "invert")
    select_beat(qtbot, window, 501)
    apply_tool(qtbot, controller, "delete_beat")
    assert len(window.lead_column.beat_marker_layer.prediction.sample) == len(record.beats) - 1

    press_keys(qtbot, window, controller.edit_shown, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    snapshot = press_keys(
        qtbot, window, controller.edit_shown, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier
    )

    assert snapshot.edit_count == 0
    assert snapshot.spans == []
    assert np.array_equal(edited_signal(qtbot, window), record.signal)
    assert np.array_equal(snapshot.beat_sample, record.beats.sample)
    assert np.array_equal(snapshot.probabilities, snapshot.original_probabilities)
    assert window.lead_column.beat_marker_layer.prediction is original_prediction
    lead_curve = window.lead_column.lead_curves[record.ecg_channels.index(record.model_channel)]
    assert np.isfinite(lead_curve.yData).all()
    assert window.lead_column.trace_gaps == {}
    assert controller.overlay_curves == {}
    assert not controller.banner.isVisible()

    redone = press_keys(
        qtbot,
        window,
        controller.edit_shown,
        QtCore.Qt.Key.Key_Z,
        QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
    )
    assert redone.edit_count == 1
    assert redone.edit_descriptions[0].startswith("invert")


def test_saved_counterfactual_reopens(qtbot, classified_window, tmp_path, mitdb_dir, monkeypatch):
    window = classified_window
    controller = open_editor(qtbot, window)
    record = window.record
    select_beat(qtbot, window, 300)
    start, stop = controller.region_samples()
    snapshot = apply_tool(qtbot, controller, "scale", 2.0)
    edited_mv = snapshot.spans[0].edited_mv

    with qtbot.waitSignal(window.error_shown, timeout=JOB_TIMEOUT_MS) as refused:
        controller.save_to(mitdb_dir / "100_cf.hea")
    assert "another folder" in refused.args[0]
    assert not (mitdb_dir / "100_cf.hea").exists()

    suggested = []

    def choose_path(parent, caption, directory, file_filter):
        suggested.append(directory)
        return str(tmp_path / "saved" / "100_cf.hea"), file_filter

    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", choose_path)
    with qtbot.waitSignal(controller.saved, timeout=JOB_TIMEOUT_MS) as saved:
        controller.save_action.trigger()
    header = saved.args[0]
    assert Path(suggested[0]).name == "100_cf.hea"
    assert header == tmp_path / "saved" / "100_cf.hea"

    open_button = next(
        button for button in controller.saved_box.buttons() if button.text() == "Open It"
    )
    with qtbot.waitSignal(window.classification_finished, timeout=120_000):
        open_button.click()
    reopened = window.record
    assert reopened.header_path == header
    assert np.allclose(reopened.signal[start:stop, record.model_channel], edited_mv, atol=2e-3)
    # wfdb.wrsamp picks its own ADC gain, so unedited samples match to the quantisation step.
    assert np.allclose(reopened.signal[:start], record.signal[:start], atol=2e-3)
    assert any("scale x2" in comment for comment in reopened.comments)
    assert controller.snapshot is None or controller.snapshot.edit_count == 0
    assert not controller.banner.isVisible()
    # The reopened copy is marked as edited, and keeps the source's own header comments.
    assert window.synthetic_banner.isVisible()
    assert window.synthetic_banner.text().startswith("Counterfactual of record 100 made with Liquid ECG")
    assert "(counterfactual)" in window.windowTitle()
    assert [f"source record: {comment}" for comment in record.comments] == reopened.comments[-len(record.comments):]


def test_search_turns_v_beat_normal(qtbot, window_233):
    window = window_233
    controller = open_editor(qtbot, window)
    beat = rhythm_normal_v_beat(window)
    select_beat(qtbot, window, beat)
    controller.panel.set_target_class("N")

    with qtbot.waitSignal(controller.search_finished, timeout=120_000) as finished:
        controller.panel.search_button.click()
        assert not controller.panel.search_button.isEnabled()
    report = finished.args[0]

    assert report.found, report.message
    assert 0.0 < report.rms_change_mv < 1.0
    snapshot = controller.snapshot
    assert snapshot.edit_count == 1
    assert snapshot.edit_descriptions[0].startswith("perturb")
    drawn = window.lead_column.beat_marker_layer.prediction
    assert drawn.predicted[beat] == N
    assert "mV RMS" in controller.panel.search_result_label.text()

    press_keys(qtbot, window, controller.edit_shown, QtCore.Qt.Key.Key_Z, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert window.lead_column.beat_marker_layer.prediction.predicted[beat] == V


def test_search_cancel_changes_nothing(qtbot, window_233):
    window = window_233
    controller = open_editor(qtbot, window)
    select_beat(qtbot, window, rhythm_normal_v_beat(window))
    controller.panel.set_target_class("N")

    with qtbot.waitSignal(controller.search_finished, timeout=120_000) as finished:
        controller.panel.search_button.click()
        controller.panel.cancel_search_button.click()

    assert finished.args[0].cancelled
    assert controller.snapshot.edit_count == 0
    assert "cancelled" in controller.panel.search_result_label.text()


def drag(qtbot, lead_column, plot, points_s_mv: list[tuple[float, float]]) -> None:
    """Press the left button at the first point, move through the others and release at the last."""
    viewport = lead_column.viewport()

    def position(time_s: float, value_mv: float) -> QtCore.QPointF:
        scene = plot.getViewBox().mapViewToScene(QtCore.QPointF(time_s, value_mv))
        return QtCore.QPointF(lead_column.mapFromScene(scene))

    def send(kind, point, button, buttons):
        event = QtGui.QMouseEvent(
            kind, point, viewport.mapToGlobal(point), button, buttons, QtCore.Qt.KeyboardModifier.NoModifier
        )
        QtWidgets.QApplication.sendEvent(viewport, event)
        # pyqtgraph drops mouse moves closer than 10 ms apart (its default rate limit).
        qtbot.wait(15)

    left, none = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.NoButton
    send(QtCore.QEvent.Type.MouseButtonPress, position(*points_s_mv[0]), left, left)
    for point in points_s_mv[1:]:
        send(QtCore.QEvent.Type.MouseMove, position(*point), none, left)
    send(QtCore.QEvent.Type.MouseButtonRelease, position(*points_s_mv[-1]), left, none)


def test_freehand_stroke_changes_samples(qtbot, classified_window):
    window = classified_window
    controller = open_editor(qtbot, window)
    record = window.record
    channel = record.model_channel
    beat_time_s = float(record.beats.sample[200] / record.fs)
    window.lead_column.set_x_range(beat_time_s - 2.0, beat_time_s + 2.0)
    controller.panel.set_tool("freehand")
    assert controller.freehand is not None
    assert not controller.region.isVisible()
    plot = controller.freehand.plot

    stroke = [(beat_time_s - 0.2 + 0.04 * step, 1.2) for step in range(11)]
    with qtbot.waitSignal(controller.edit_shown, timeout=JOB_TIMEOUT_MS) as shown:
        drag(qtbot, window.lead_column, plot, stroke)
    snapshot = shown.args[0]

    assert snapshot.edit_descriptions[0].startswith("freehand")
    span = snapshot.spans[0]
    stroke_start = int(round((beat_time_s - 0.2) * record.fs))
    stroke_stop = int(round((beat_time_s + 0.2) * record.fs))
    # The stroke ends lie within a few pixels (a few samples at 4 s per view) of the points asked for.
    assert abs(span.start - stroke_start) < 10
    assert abs(span.start + len(span.edited_mv) - stroke_stop) < 10
    assert np.allclose(span.edited_mv, 1.2, atol=0.05)
    signal = edited_signal(qtbot, window)
    changed = np.flatnonzero(signal[:, channel] != record.signal[:, channel])
    assert changed.min() >= span.start
    assert changed.max() < span.start + len(span.edited_mv)
    assert len(changed) > 0.9 * len(span.edited_mv)


def test_state_change_shown_in_heatmap(qtbot, classified_window):
    window = classified_window
    controller = open_editor(qtbot, window)
    select_beat(qtbot, window, 700)
    apply_tool(qtbot, controller, "scale", 0.2)

    with qtbot.waitSignal(controller.state_change_shown, timeout=JOB_TIMEOUT_MS) as shown:
        controller.panel.state_change_check.setChecked(True)
    assert shown.args[0] is True
    overlay = controller.state_overlay
    assert overlay.image_item.isVisible()
    assert not window.heatmap_view.image_item.isVisible()
    beat_sample = int(window.record.beats.sample[700])
    near = np.abs(overlay.state_sample - beat_sample) < 0.2 * window.record.fs
    assert np.nanmax(np.abs(overlay.difference[near])) > 0.05
    assert overlay.difference.shape[1] == len(window.prediction.neuron_names)
    # Hatching outside the compared stretch means "not compared", not "no network input".
    legend = window.heatmap_view.no_state_legend
    assert legend.text() == "not compared"
    assert "edits changed" in legend.toolTip()
    assert legend.toolTip() in window.heatmap_view.plot.getViewBox().toolTip()

    controller.panel.state_change_check.setChecked(False)
    assert not overlay.image_item.isVisible()
    assert window.heatmap_view.image_item.isVisible()
    assert legend.text() == "no network input"


def test_move_and_delete_beat(qtbot, classified_window):
    window = classified_window
    controller = open_editor(qtbot, window)
    record = window.record
    select_beat(qtbot, window, 900)

    moved = apply_tool(qtbot, controller, "move_beat", 100.0)
    current = int(np.flatnonzero(moved.beat_id == 900)[0])
    assert moved.beat_sample[current] - record.beats.sample[900] == round(0.1 * record.fs)
    assert 900 in moved.beat_id[moved.changed_beats]

    select_beat(qtbot, window, 1200)
    deleted = apply_tool(qtbot, controller, "delete_beat")
    assert list(deleted.deleted_beats) == [1200]
    rows = {row[0]: row for row in controller.panel.changed_beat_rows()}
    assert rows[1200][2] == "deleted"
    assert controller.panel.edit_list.count() == 2



def test_other_tools_edit_region(qtbot, classified_window):
    window = classified_window
    controller = open_editor(qtbot, window)
    record = window.record
    channel = record.model_channel
    select_beat(qtbot, window, 1500)
    start, stop = controller.region_samples()
    recorded_mv = record.signal[start:stop, channel]

    for kind, value in (("flatten", None), ("smooth", 40.0), ("noise", 0.2), ("stretch", 1.5), ("paste", 1501 + 1)):
        snapshot = apply_tool(qtbot, controller, kind, value)

        assert snapshot.edit_descriptions[-1].startswith(kind)
        span = snapshot.spans[0]
        assert (span.start, len(span.edited_mv)) == (start, stop - start)
        assert np.abs(span.edited_mv - recorded_mv).max() > 0.01

        with qtbot.waitSignal(controller.edit_shown, timeout=JOB_TIMEOUT_MS):
            controller.reset_action.trigger()
    assert controller.snapshot.edit_count == 0
    assert controller.panel.edit_list.count() == 0


def test_region_follows_opened_record(qtbot, unclassified_window, mitdb_dir):
    window = unclassified_window
    controller = window.counterfactual_controller
    qtbot.keyClick(window, QtCore.Qt.Key.Key_E, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert controller.dock.isVisible()
    qtbot.waitUntil(lambda: controller.snapshot is not None, timeout=JOB_TIMEOUT_MS)
    select_beat(qtbot, window, 1000)
    start, stop = controller.region_samples()
    assert start < window.record.beats.sample[1000] < stop

    # Record 233's first beat lies 117 ms after its start, so the region around it is cut at 0 s.
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS):
        assert open_record_and_wait(qtbot, window, mitdb_dir / "233.hea", cancel_classification=True)
    record = window.record
    assert controller.dock.isVisible()
    assert window.review_controller.current_beat() == 0
    first_beat_s = record.beats.sample[0] / record.fs
    assert first_beat_s < 0.15
    assert controller.region.getRegion() == pytest.approx((0.0, first_beat_s + 0.25), abs=1e-6)
    assert controller.region.getViewBox() is window.lead_column.lead_plots[0].getViewBox()
    assert controller.region.isVisible()

    # A model lead change rebuilds the plots, and the region follows the selected beat onto the new lead.
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS):
        with qtbot.waitSignal(window.record_opened, timeout=JOB_TIMEOUT_MS):
            window.model_lead_combo.choose_channel(1)
        window.cancel_classification()
    assert window.record.model_channel == 1
    assert window.review_controller.current_beat() == 0
    assert controller.region_channel == 1
    assert controller.region.getViewBox() is window.lead_column.lead_plots[1].getViewBox()
    assert controller.region.getRegion() == pytest.approx((0.0, first_beat_s + 0.25), abs=1e-6)


def save_dialog_folder(qtbot, controller, save_path: Path | None = None) -> Path | None:
    """Choose Save Counterfactual As and return the folder its file dialog shows first, or None without a dialog.

    The dialog is then cancelled, or accepted with the file name `save_path`.
    """
    folders: list[Path] = []
    attempts = 0

    def answer_dialog() -> None:
        nonlocal attempts
        attempts += 1
        dialogs = [
            widget
            for widget in QtWidgets.QApplication.topLevelWidgets()
            if isinstance(widget, QtWidgets.QFileDialog) and widget.isVisible()
        ]
        if not dialogs:
            if attempts < 100:
                QtCore.QTimer.singleShot(50, answer_dialog)
            return
        dialog = dialogs[0]
        folders.append(Path(dialog.directory().absolutePath()))
        if save_path is None:
            dialog.reject()
        else:
            dialog.selectFile(str(save_path))
            dialog.accept()

    QtCore.QTimer.singleShot(0, answer_dialog)
    controller.save_action.trigger()
    return folders[0] if folders else None


def test_save_dialog_start_folder(qtbot, unclassified_window, tmp_path, mitdb_dir, monkeypatch):
    from desktop_app.counterfactual_controller import FOLDER_SETTING

    window = unclassified_window
    controller = open_editor(qtbot, window)
    select_beat(qtbot, window, 300)
    apply_tool(qtbot, controller, "scale", 2.0)
    # A user whose home folder has no Documents folder yet.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    assert Path.cwd() != home

    assert save_dialog_folder(qtbot, controller) == home

    documents = home / "Documents"
    documents.mkdir()
    assert save_dialog_folder(qtbot, controller) == documents

    # The source record's folder is never offered, even when the setting names it.
    window.settings.setValue(FOLDER_SETTING, str(mitdb_dir))
    assert save_dialog_folder(qtbot, controller) == documents

    # A save stores its folder in the settings file, and the next dialog starts there.
    saved_folder = tmp_path / "counterfactuals"
    saved_folder.mkdir()
    with qtbot.waitSignal(controller.saved, timeout=JOB_TIMEOUT_MS) as saved:
        assert save_dialog_folder(qtbot, controller, saved_folder / "100_cf.hea") == documents
    assert saved.args[0] == saved_folder / "100_cf.hea"
    controller.saved_box.close()
    stored = QtCore.QSettings(window.settings.fileName(), QtCore.QSettings.Format.IniFormat)
    assert stored.value(FOLDER_SETTING) == str(saved_folder)
    assert save_dialog_folder(qtbot, controller) == saved_folder

    # A saved folder deleted since then is skipped.
    for file in saved_folder.iterdir():
        file.unlink()
    saved_folder.rmdir()
    assert save_dialog_folder(qtbot, controller) == documents
