"""The Qt-free review: verdicts, agreement tables, atomic saving and resuming, on record 100."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest
import wfdb

from model.records import AAMI_CLASSES, load_record
from model.review import (
    ReviewStore,
    agreement_tables,
    aux_note_text,
    check_annotator,
    format_summary,
    open_review,
)


@pytest.fixture
def record(linked_record_100):
    return load_record(linked_record_100)


def fake_model_labels(record, wrong_beats: list[int], wrong_class: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Model labels equal to the reference except at `wrong_beats`, with probability 0.9 for the label."""
    predicted = record.beats.aami.astype(np.int8).copy()
    predicted[wrong_beats] = wrong_class
    probabilities = np.full((len(predicted), len(AAMI_CLASSES)), 0.025, dtype=np.float32)
    probabilities[np.arange(len(predicted)), predicted] = 0.9
    return predicted, probabilities


def test_verdicts_save_beside_record(record, linked_record_100):
    review, store = open_review(record, reviewer="dr test")
    review.set_class(10, "V")
    review.set_verdict(20, "A", note="early, P wave hidden")
    review.accept_reference(30)

    assert store.folder == linked_record_100.parent
    assert not store.is_fallback
    annotation = wfdb.rdann(str(linked_record_100.with_suffix("")), "rev")
    assert list(annotation.sample) == [record.beats.sample[10], record.beats.sample[20], record.beats.sample[30]]
    assert annotation.symbol == ["V", "A", record.beats.symbol[30]]
    assert annotation.aux_note == ["", "early, P wave hidden", ""]
    assert annotation.fs == record.fs

    document = json.loads(store.review_path.read_text(encoding="utf-8"))
    assert document["reviewer"] == "dr test"
    assert [entry["symbol"] for entry in document["verdicts"]] == ["V", "A", "N"]
    assert all(entry["time"] and entry["reviewer"] == "dr test" for entry in document["verdicts"])
    card = json.loads((Path(__file__).parents[1] / "resources" / "ltc_beat_classifier.card.json").read_text())
    assert document["model"]["weights_sha256"] == card["weights_sha256"]
    assert document["model"]["name"] == card["name"]


def test_record_files_untouched(record, linked_record_100):
    before = {path.name: path.resolve().stat().st_mtime_ns for path in linked_record_100.parent.iterdir()}
    review, _ = open_review(record)
    for beat in range(5):
        review.set_class(beat, "S")

    for path in linked_record_100.parent.iterdir():
        if path.name in before:
            assert path.is_symlink(), f"{path.name} was replaced"
            assert path.resolve().stat().st_mtime_ns == before[path.name]
    names = sorted(path.name for path in linked_record_100.parent.iterdir())
    assert names == ["100.atr", "100.dat", "100.hea", "100.rev", "100.review.json"]


def test_reopen_resumes_verdicts(record, linked_record_100):
    review, _ = open_review(record, reviewer="first")
    review.set_class(3, "V")
    review.set_note(7, "noisy")
    review.set_verdict(12, "E")

    resumed, store = open_review(load_record(linked_record_100), reviewer="second")
    assert sorted(resumed.verdicts) == [3, 7, 12]
    assert resumed.verdicts[3].symbol == "V"
    assert resumed.verdicts[7].note == "noisy"
    assert resumed.verdicts[7].symbol == record.beats.symbol[7]
    assert resumed.verdicts[12].aami == "V"
    assert resumed.verdicts[3].reviewer == "first"
    assert resumed.last_changed_beat() == 12

    resumed.set_class(2, "S")
    assert open_review(load_record(linked_record_100))[0].last_changed_beat() == 2

    resumed.clear_verdict(12)
    again, _ = open_review(load_record(linked_record_100))
    assert sorted(again.verdicts) == [2, 3, 7]


def test_clearing_last_verdict_removes_annotations(record):
    review, store = open_review(record)
    review.set_class(0, "V")
    assert store.annotation_path.is_file()

    review.clear_verdict(0)
    assert not store.annotation_path.is_file()
    assert json.loads(store.review_path.read_text())["verdicts"] == []


def test_recovers_from_annotation_file(record, linked_record_100):
    review, store = open_review(record)
    review.set_verdict(4, "V", note="wide QRS")
    store.review_path.write_text("{ truncated", encoding="utf-8")

    recovered, _ = open_review(load_record(linked_record_100))
    assert recovered.verdicts[4].symbol == "V"
    assert recovered.verdicts[4].note == "wide QRS"


def test_read_only_folder_uses_fallback(record_100_path, tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    for suffix in (".hea", ".dat", ".atr"):
        (folder / f"100{suffix}").symlink_to(record_100_path.with_suffix(suffix))
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        review, store = open_review(load_record(folder / "100.hea"), fallback_root=tmp_path / "user-data")
        review.set_class(1, "V")

        assert store.is_fallback
        assert store.folder.parent == tmp_path / "user-data"
        assert store.annotation_path.is_file()
        assert sorted(path.name for path in folder.iterdir()) == ["100.atr", "100.dat", "100.hea"]

        resumed, _ = open_review(load_record(folder / "100.hea"), fallback_root=tmp_path / "user-data")
        assert resumed.verdicts[1].symbol == "V"
    finally:
        folder.chmod(stat.S_IRWXU)


def test_fallback_root_defaults_to_xdg(record_100_path, tmp_path, monkeypatch):
    folder = tmp_path / "read-only"
    folder.mkdir()
    (folder / "100.hea").symlink_to(record_100_path)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    try:
        store = ReviewStore(folder / "100.hea")
    finally:
        folder.chmod(stat.S_IRWXU)

    assert store.is_fallback
    assert store.folder.parent == tmp_path / "xdg" / "liquid-ecg" / "reviews"
    assert store.folder.name.startswith("100-")


def test_disagreements_and_agreement_tables(record):
    review, _ = open_review(record)
    review.set_model_labels(*fake_model_labels(record, [5, 6, 7]))

    assert review.disagreements() == [5, 6, 7]
    assert review.confidence[5] == pytest.approx(0.9)
    review.accept_model(5)
    review.accept_reference(6)
    review.set_class(100, "S")

    assert review.disagreements() == [5, 6, 7, 100]
    tables = agreement_tables(review)
    n_beats = len(record.beats)
    assert tables["model vs reference"].sum() == n_beats
    assert np.trace(tables["model vs reference"]) == n_beats - 3
    assert tables["reviewer vs model"].sum() == 3
    assert np.trace(tables["reviewer vs model"]) == 1
    assert np.trace(tables["reviewer vs reference"]) == 1
    text = format_summary(review)
    assert "3 reviewed" in text
    assert f"model vs reference: {n_beats - 3} of {n_beats} beats agree" in text


def test_model_labels_resume_without_classifying(record, linked_record_100):
    review, _ = open_review(record)
    review.set_model_labels(*fake_model_labels(record, [9]))
    review.set_class(9, "V")

    resumed, _ = open_review(load_record(linked_record_100))
    assert resumed.model[9] == "V"
    assert resumed.disagreements() == [9]
    assert resumed.confidence[9] == pytest.approx(0.9)


def test_set_class_keeps_finer_symbol(record):
    review, _ = open_review(record)
    review.set_verdict(2, "E")
    assert review.set_class(2, "V").symbol == "E"
    assert review.set_class(2, "S").symbol == "A"
    with pytest.raises(ValueError, match="not an MIT beat symbol"):
        review.set_verdict(2, "x")


def test_aux_note_fits_wfdb():
    assert aux_note_text("two\nlines") == "two lines"
    assert aux_note_text("Δ QRS") == "? QRS"
    assert len(aux_note_text("x" * 400)) == 255


@pytest.mark.parametrize("annotator", ["atr", "hea", "dat", "r/v", ""])
def test_annotator_rejects_record_files(annotator):
    with pytest.raises(ValueError, match="not allowed"):
        check_annotator(annotator)
