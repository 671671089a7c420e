"""The review through the window: keyboard verdicts, the beat table's filters, saving and resuming.

Records are real MIT-BIH records. Most tests cancel classification and give
the review model labels that differ from the reference at known beats, so they
run without JAX. The slow test uses the shipped network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wfdb
from PySide6 import QtCore, QtWidgets

from conftest import open_record_and_wait
from desktop_app.beat_table import MODEL_COLUMN, REVIEWER_COLUMN
from desktop_app.main_window import MainWindow
from model.records import AAMI_CLASSES

CLASSIFY_TIMEOUT_MS = 120_000
RECORD_100_BEATS = 2273
WRONG_BEATS = [4, 9, 15, 40]
"""Beats of record 100 that `give_model_labels` labels V where the reference label is N."""


@pytest.fixture(autouse=True)
def user_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary per-user data folder, so reviews of read-only records stay inside the test."""
    folder = tmp_path / "user-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


def make_window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    settings.setValue("review/reviewer", "dr tester")
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(1500, 850)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_without_model(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_record_and_wait(qtbot, window, path, cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error


def give_model_labels(window: MainWindow) -> None:
    """Model labels equal to the reference, except V at WRONG_BEATS with probability 0.6."""
    review = window.review_controller.review
    predicted = window.record.beats.aami.astype(np.int8).copy()
    predicted[WRONG_BEATS] = AAMI_CLASSES.index("V")
    probabilities = np.full((len(predicted), len(AAMI_CLASSES)), 0.01, dtype=np.float32)
    probabilities[np.arange(len(predicted)), predicted] = 0.96
    probabilities[WRONG_BEATS, AAMI_CLASSES.index("V")] = 0.6
    review.set_model_labels(predicted, probabilities)
    window.review_controller.panel.refresh()


def press(qtbot, window: MainWindow, *keys: QtCore.Qt.Key) -> None:
    """Press keys where the user's focus is: the beat table after a record opens."""
    for key in keys:
        qtbot.keyClick(QtWidgets.QApplication.focusWidget() or window, key)


def test_keyboard_verdicts_survive_restart(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    panel = window.review_controller.panel
    assert panel.current_beat() == 0
    assert panel.table_view.hasFocus()

    press(qtbot, window, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_V)
    press(qtbot, window, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_S)
    press(qtbot, window, QtCore.Qt.Key.Key_Down, QtCore.Qt.Key.Key_F, QtCore.Qt.Key.Key_E)
    assert panel.note_edit.hasFocus()
    qtbot.keyClicks(panel.note_edit, "fusion? check V1")
    qtbot.keyClick(panel.note_edit, QtCore.Qt.Key.Key_Return)
    assert panel.table_view.hasFocus()
    window.close()

    reopened = make_window(qtbot, tmp_path)
    open_without_model(qtbot, reopened, linked_record_100)
    review = reopened.review_controller.review
    assert sorted(review.verdicts) == [1, 3, 4]
    assert [review.verdicts[beat].symbol for beat in (1, 3, 4)] == ["V", "A", "F"]
    assert review.verdicts[4].note == "fusion? check V1"
    assert review.verdicts[1].reviewer == "dr tester"
    assert reopened.review_controller.panel.current_beat() == 4
    model = reopened.review_controller.panel.table_model
    assert model.index(1, REVIEWER_COLUMN).data() == "V (V)"

    annotation = wfdb.rdann(str(linked_record_100.with_suffix("")), "rev")
    samples = reopened.record.beats.sample
    assert list(annotation.sample) == [samples[1], samples[3], samples[4]]
    assert annotation.symbol == ["V", "A", "F"]
    assert annotation.aux_note == ["", "", "fusion? check V1"]


def test_note_keys_do_not_relabel(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    panel = window.review_controller.panel

    press(qtbot, window, QtCore.Qt.Key.Key_E)
    qtbot.keyClicks(panel.note_edit, "VSAR")
    qtbot.keyClick(panel.note_edit, QtCore.Qt.Key.Key_Escape)

    assert window.review_controller.review.verdicts == {}
    assert panel.table_view.hasFocus()


def test_filters_show_right_rows(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    give_model_labels(window)
    panel = window.review_controller.panel
    review = window.review_controller.review
    assert panel.proxy.rowCount() == RECORD_100_BEATS

    qtbot.mouseClick(panel.disagreements_filter, QtCore.Qt.MouseButton.LeftButton)
    assert panel.proxy.visible_beats() == WRONG_BEATS

    panel.select_beat(9)
    panel.focus_table()
    press(qtbot, window, QtCore.Qt.Key.Key_A)
    assert review.verdicts[9].symbol == "V"
    qtbot.mouseClick(panel.unreviewed_filter, QtCore.Qt.MouseButton.LeftButton)
    assert panel.proxy.visible_beats() == [4, 15, 40]

    panel.clear_filters()
    expected_a = [beat for beat in range(RECORD_100_BEATS) if review.reference[beat] == "S"]
    panel.class_filter.setCurrentText("S")
    assert panel.proxy.visible_beats() == expected_a
    assert len(expected_a) == 33

    panel.class_filter.setCurrentText("V")
    assert panel.proxy.visible_beats() == sorted(set(WRONG_BEATS) | {1906})

    panel.class_filter.setCurrentText("All classes")
    panel.confidence_threshold.setValue(0.7)
    qtbot.mouseClick(panel.confidence_filter, QtCore.Qt.MouseButton.LeftButton)
    assert panel.proxy.visible_beats() == WRONG_BEATS


def test_sorting_by_confidence(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    give_model_labels(window)
    panel = window.review_controller.panel

    panel.table_view.sortByColumn(4, QtCore.Qt.SortOrder.AscendingOrder)
    assert panel.proxy.visible_beats()[:4] == WRONG_BEATS
    panel.table_view.sortByColumn(0, QtCore.Qt.SortOrder.DescendingOrder)
    assert panel.proxy.visible_beat(0) == RECORD_100_BEATS - 1
    assert panel.table_model.index(4, MODEL_COLUMN).data() == "V"


def test_next_disagreement_and_accept(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    give_model_labels(window)
    controller = window.review_controller
    review = controller.review

    press(qtbot, window, QtCore.Qt.Key.Key_J)
    assert controller.panel.current_beat() == 4
    press(qtbot, window, QtCore.Qt.Key.Key_A, QtCore.Qt.Key.Key_J, QtCore.Qt.Key.Key_R)
    assert review.verdicts[4].symbol == "V"
    assert review.verdicts[9].symbol == "N"
    # Past the last disagreement J wraps to the first, and K from the first wraps to the last.
    press(qtbot, window, QtCore.Qt.Key.Key_J, QtCore.Qt.Key.Key_J, QtCore.Qt.Key.Key_J)
    assert controller.panel.current_beat() == 4
    assert window.statusBar().currentMessage() == "Wrapped to the first disagreement."
    press(qtbot, window, QtCore.Qt.Key.Key_K)
    assert controller.panel.current_beat() == 40
    assert window.statusBar().currentMessage() == "Wrapped to the last disagreement."
    press(qtbot, window, QtCore.Qt.Key.Key_K)
    assert controller.panel.current_beat() == 15
    press(qtbot, window, QtCore.Qt.Key.Key_Delete, QtCore.Qt.Key.Key_Delete)
    press(qtbot, window, QtCore.Qt.Key.Key_M)
    assert controller.panel.symbol_combo.view().isVisible()
    qtbot.keyClick(controller.panel.symbol_combo.view(), QtCore.Qt.Key.Key_Escape)
    assert sorted(review.verdicts) == [4, 9]


def test_row_and_waveform_stay_in_sync(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    controller = window.review_controller
    beat_times_s = window.record.beats.sample / window.record.fs

    controller.panel.select_beat(1000)
    start_s, end_s = window.lead_column.visible_range()
    assert (start_s + end_s) / 2 == pytest.approx(beat_times_s[1000], abs=0.01)
    assert controller.selected_beat_lines[0].value() == pytest.approx(beat_times_s[1000])

    plot = window.lead_column.lead_plots[0]
    scene_point = plot.getViewBox().mapViewToScene(QtCore.QPointF(beat_times_s[1002], 0.0))
    view_point = window.lead_column.mapFromScene(scene_point)
    qtbot.mouseClick(window.lead_column.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=view_point)
    assert controller.panel.current_beat() == 1002


def test_verdict_key_brings_beat_into_view(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    give_model_labels(window)
    controller = window.review_controller
    panel = controller.panel
    lead_column = window.lead_column
    beat_times_s = window.record.beats.sample / window.record.fs

    def view_centre_s() -> float:
        start_s, end_s = lead_column.visible_range()
        return (start_s + end_s) / 2

    # The reviewer selects beat 1000 and scrolls to the end of the record, so the table keeps the selection.
    panel.select_beat(1000)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_End)
    start_s, end_s = lead_column.visible_range()
    assert end_s < beat_times_s[1000] or beat_times_s[1000] < start_s
    assert panel.table_view.hasFocus()

    press(qtbot, window, QtCore.Qt.Key.Key_V)
    assert controller.review.verdicts[1000].symbol == "V"
    assert view_centre_s() == pytest.approx(beat_times_s[1000], abs=0.01)
    start_s, end_s = lead_column.visible_range()
    assert end_s - start_s == pytest.approx(10.0, abs=0.01)
    assert window.statusBar().currentMessage().startswith("Beat 1001 at ")
    assert "out of view" in window.statusBar().currentMessage()

    # A beat already in view stays where it is on the screen, and no message appears.
    lead_column.set_x_range(beat_times_s[1000] - 1.0, beat_times_s[1000] + 9.0)
    window.statusBar().clearMessage()
    press(qtbot, window, QtCore.Qt.Key.Key_S)
    assert controller.review.verdicts[1000].symbol == "A"
    assert lead_column.visible_range() == pytest.approx((beat_times_s[1000] - 1.0, beat_times_s[1000] + 9.0), abs=1e-6)
    assert window.statusBar().currentMessage() == ""

    # Accept, clear and the note key also bring the selected beat into view.
    for key, expected in ((QtCore.Qt.Key.Key_A, "N"), (QtCore.Qt.Key.Key_Delete, None)):
        qtbot.keyClick(window, QtCore.Qt.Key.Key_Home)
        press(qtbot, window, key)
        assert view_centre_s() == pytest.approx(beat_times_s[1000], abs=0.01)
        verdict = controller.review.verdicts.get(1000)
        assert (verdict.symbol if verdict else None) == expected

    qtbot.keyClick(window, QtCore.Qt.Key.Key_Home)
    press(qtbot, window, QtCore.Qt.Key.Key_E)
    assert panel.note_edit.hasFocus()
    assert view_centre_s() == pytest.approx(beat_times_s[1000], abs=0.01)
    qtbot.keyClicks(panel.note_edit, "check lead V1")
    qtbot.keyClick(panel.note_edit, QtCore.Qt.Key.Key_Return)
    assert controller.review.verdicts[1000].note == "check lead V1"


def test_read_only_folder_saves_elsewhere(qtbot, tmp_path, record_100_path, user_data_home):
    record_folder = record_100_path.parent
    files_before = sorted(path.name for path in record_folder.iterdir())
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, record_100_path)
    store = window.review_controller.store

    press(qtbot, window, QtCore.Qt.Key.Key_V)

    assert store.is_fallback
    assert store.folder.parent == user_data_home / "liquid-ecg" / "reviews"
    label_text = window.review_controller.panel.save_location_label.text()
    assert "read-only" in label_text
    assert str(store.folder) in label_text
    assert json.loads(store.review_path.read_text())["verdicts"][0]["symbol"] == "V"
    assert sorted(path.name for path in record_folder.iterdir()) == files_before


def test_shortcuts_dialog_lists_review_keys(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    help_actions = {action.text(): action for action in window.help_menu.actions()}

    help_actions["&Keyboard Shortcuts"].trigger()
    text = window.shortcuts_dialog.findChild(QtWidgets.QTextBrowser, "shortcuts_text").toPlainText()
    assert "Next disagreement" in text
    assert "J or ." in text
    assert "Accept the model's label" in text
    assert "Zoom In" in text


@pytest.mark.slow
def test_review_with_real_model(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        window.open_record(linked_record_100)
    assert ended.args == ["finished"], window.last_error
    review = window.review_controller.review
    disagreements = review.disagreements()
    assert disagreements == list(np.flatnonzero(window.beat_marker_layer.disagreement_mask))

    for beat in disagreements:
        press(qtbot, window, QtCore.Qt.Key.Key_J)
        assert window.review_controller.panel.current_beat() == beat
        press(qtbot, window, QtCore.Qt.Key.Key_R)

    assert sorted(review.verdicts) == disagreements
    document = json.loads(window.review_controller.store.review_path.read_text())
    assert len(document["model_labels"]) == RECORD_100_BEATS
    assert document["model"]["weights_sha256"]
    window.close()

    reopened = make_window(qtbot, tmp_path)
    open_without_model(qtbot, reopened, linked_record_100)
    resumed = reopened.review_controller.review
    assert sorted(resumed.verdicts) == disagreements
    assert resumed.disagreements() == disagreements
    assert reopened.review_controller.panel.current_beat() == disagreements[-1]
    annotation = wfdb.rdann(str(linked_record_100.with_suffix("")), "rev")
    assert list(annotation.sample) == list(reopened.record.beats.sample[disagreements])
    assert annotation.symbol == list(reopened.record.beats.symbol[disagreements])


def pdf_page_count(path: Path) -> int:
    """Count the page objects of a PDF written by Qt, which stores them uncompressed."""
    import re

    return len(re.findall(rb"/Type\s*/Page\b(?!s)", path.read_bytes()))


def test_summary_csv_and_pdf_exports(qtbot, tmp_path, linked_record_100, monkeypatch):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    give_model_labels(window)
    controller = window.review_controller
    press(qtbot, window, QtCore.Qt.Key.Key_J, QtCore.Qt.Key.Key_A, QtCore.Qt.Key.Key_J, QtCore.Qt.Key.Key_N)
    controller.panel.select_beat(700)
    controller.panel.focus_table()
    press(qtbot, window, QtCore.Qt.Key.Key_V)
    disagreements = controller.review.disagreements()
    assert disagreements == [4, 9, 15, 40, 700]

    summary = controller.show_summary().findChild(QtWidgets.QPlainTextEdit, "review_summary_text").toPlainText()
    assert "model vs reference: 2269 of 2273 beats agree" in summary
    assert "reviewer vs model: 1 of 3 beats agree" in summary
    assert "reviewer vs reference: 1 of 3 beats agree" in summary

    csv_path = tmp_path / "exports" / "table.csv"
    csv_path.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(csv_path), ""))
    qtbot.mouseClick(controller.panel.disagreements_filter, QtCore.Qt.MouseButton.LeftButton)
    assert controller.export_csv() == csv_path
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("beat,sample,time_s,reference")
    assert [line.split(",")[0] for line in lines[1:]] == ["5", "10", "16", "41", "701"]
    assert lines[1].split(",")[7:9] == ["V", "V"]

    pdf_path = tmp_path / "exports" / "report.pdf"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(pdf_path), ""))
    assert controller.export_pdf() == pdf_path
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert pdf_page_count(pdf_path) == 1
    assert "5 disagreement strips" in window.statusBar().currentMessage()


def test_pdf_has_page_per_five_strips(qtbot, tmp_path, linked_record_100):
    from desktop_app.review_report import STRIPS_PER_PAGE, write_review_pdf

    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    review = window.review_controller.review
    beats = list(range(0, 2200, 200))

    assert write_review_pdf(tmp_path / "report.pdf", review, beats) == 11
    assert STRIPS_PER_PAGE == 5
    assert pdf_page_count(tmp_path / "report.pdf") == 3


def test_failed_save_is_reported(qtbot, tmp_path, linked_record_100):
    window = make_window(qtbot, tmp_path)
    open_without_model(qtbot, window, linked_record_100)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the review folder should be")
    window.review_controller.store.folder = blocker / "reviews"

    with qtbot.waitSignal(window.error_shown) as shown:
        press(qtbot, window, QtCore.Qt.Key.Key_V)

    assert "saving the review of 100 failed" in shown.args[0]
    assert "kept in this window only" in shown.args[0]
    assert window.review_controller.review.verdicts[0].symbol == "V"
