"""Reference beats from another annotation file: listed beside the record, chosen in the window or on the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb
from PySide6 import QtCore

from desktop_app.main_window import MainWindow
from model.records import annotation_extensions, load_record


@pytest.fixture
def record_with_second_annotator(linked_record_100: Path) -> Path:
    """Record 100 with a second annotation file, `100.half`, that keeps every other reference beat."""
    beats = load_record(linked_record_100).beats
    wfdb.wrann(
        "100",
        "half",
        sample=beats.sample[::2],
        symbol=list(beats.symbol[::2]),
        fs=360,
        write_dir=str(linked_record_100.parent),
    )
    (linked_record_100.parent / "100.review.json").write_text("{}", encoding="utf-8")
    (linked_record_100.parent / "100 notes.txt").write_text("not an annotation", encoding="utf-8")
    (linked_record_100.parent / "100.csv").write_text("sample,label\n", encoding="utf-8")
    return linked_record_100


def test_extensions_list_annotation_files_only(record_with_second_annotator: Path) -> None:
    assert annotation_extensions(record_with_second_annotator) == ["atr", "half"]


def test_load_record_reads_chosen_annotator(record_with_second_annotator: Path) -> None:
    full = load_record(record_with_second_annotator)
    half = load_record(record_with_second_annotator, "half")
    assert half.annotator == "half"
    assert half.beats.source == "reference"
    assert len(half.beats) == (len(full.beats) + 1) // 2
    assert np.array_equal(half.beats.sample, full.beats.sample[::2])
    assert half.notes == []


def test_missing_annotator_detects_with_note(record_100_path: Path) -> None:
    record = load_record(record_100_path, "qrs")
    assert record.beats.source == "detected"
    assert record.notes == ["no 100.qrs annotation file, so the beats were detected"]


def test_window_menu_switches_annotator(qtbot, tmp_path: Path, record_with_second_annotator: Path, open_and_wait) -> None:
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    assert open_and_wait(window, record_with_second_annotator, cancel_classification=True)
    assert len(window.record.beats) == 2273

    actions = {action.data(): action for action in window.annotator_menu.actions()}
    assert sorted(actions) == ["atr", "half"]
    assert actions["atr"].isChecked()
    assert not actions["half"].isChecked()

    assert open_and_wait(window, actions["half"].trigger, cancel_classification=True)
    assert window.record.annotator == "half"
    assert len(window.record.beats) == 1137
    assert len(window.review_controller.review) == 1137
    checked = [action.data() for action in window.annotator_menu.actions() if action.isChecked()]
    assert checked == ["half"]
