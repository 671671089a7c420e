"""Counterfactual edits, undo, saving and the minimal-change search on real MIT-BIH beats."""

from __future__ import annotations

import numpy as np
import pytest

from model.counterfactual import Edit, EditError, EditSession, save_counterfactual, state_change
from model.counterfactual_search import search_counterfactual
from model.inference import load_classifier
from model.records import AAMI_CLASSES, load_record

N, V = AAMI_CLASSES.index("N"), AAMI_CLASSES.index("V")


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


@pytest.fixture(scope="module")
def session_233(mitdb_dir, classifier):
    return EditSession(load_record(mitdb_dir / "233.hea"), classifier)


@pytest.fixture
def session(session_233):
    session_233.reset()
    yield session_233
    session_233.reset()


def rhythm_normal_v_beat(session: EditSession) -> int:
    """Return a V beat, labelled V by the network, whose previous RR is closest to the patient's mean."""
    beats = np.flatnonzero((session.record.beats.aami == V) & (session.predicted() == V))
    # The first beat has no previous RR interval; its feature is the mean by construction.
    beats = beats[beats > 0]
    return int(beats[np.argmin(np.abs(session.inputs.rr[beats, 0]))])


def test_edit_changes_only_its_region(session):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])
    start, stop = sample - 40, sample + 60

    session.apply(Edit("scale", start, stop, record.model_channel, value=0.5))

    changed = np.flatnonzero((session.signal != record.signal).any(axis=1))
    assert changed.min() >= start
    assert changed.max() < stop
    assert np.array_equal(session.signal[:, 1 - record.model_channel], record.signal[:, 1 - record.model_channel])


def test_local_edit_reclassifies_neighbours_only(session):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])

    result = session.apply(Edit("invert", sample - 40, sample + 60, record.model_channel))

    assert beat in result.beats
    assert 1 <= len(result.beats) < 15
    distance_s = np.abs(record.beats.sample[result.beats] - sample) / record.fs
    assert distance_s.max() < 6.0


def test_pasting_normal_shape_changes_probabilities(session):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    normal_beats = np.flatnonzero(record.beats.aami == N)
    normal = int(normal_beats[np.argmin(np.abs(normal_beats - beat))])
    sample = int(record.beats.sample[beat])
    before = session.probabilities[beat].copy()

    # QRS and T wave: -0.2 s to +0.45 s around the R peak.
    result = session.apply(Edit("paste", sample - 72, sample + 162, record.model_channel, beat=normal))

    row = int(np.flatnonzero(result.beats == beat)[0])
    assert result.old_probabilities[row, V] == pytest.approx(before[V])
    assert np.allclose(result.new_probabilities[row].sum(), 1.0, atol=1e-4)
    # The direction depends on the weights: a network without the dominant-beat
    # input moved this beat towards V, the one with it moves it towards N.
    # The test checks that the edit reaches the network.
    assert np.abs(result.new_probabilities[row] - before).max() > 0.05


def test_undo_restores_exact_state(session):
    record = session.record
    original_probabilities = session.probabilities.copy()
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])

    session.apply(Edit("noise", sample - 100, sample + 100, record.model_channel, value=0.3, seed=4))
    session.apply(Edit("delete_beat", sample - 40, sample + 60, record.model_channel, beat=beat))
    assert len(session.beat_sample) == len(record.beats) - 1

    session.undo()
    session.undo()
    assert np.array_equal(session.signal, record.signal)
    assert np.array_equal(session.beat_sample, record.beats.sample)
    assert np.array_equal(session.probabilities, original_probabilities)

    session.redo()
    assert not np.array_equal(session.signal, record.signal)


def test_invalid_edits_are_rejected(session):
    record = session.record
    with pytest.raises(EditError, match="outside the record"):
        session.apply(Edit("scale", record.n_samples - 5, record.n_samples + 5, record.model_channel, value=2.0))
    with pytest.raises(EditError, match="unknown edit"):
        session.apply(Edit("sharpen", 0, 10, record.model_channel))
    assert session.edits == []


def test_saved_counterfactual_reopens(session, tmp_path):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])
    session.apply(Edit("baseline", sample - 40, sample + 60, record.model_channel, value=0.8))

    header = save_counterfactual(session, tmp_path)
    reopened = load_record(header)

    assert reopened.n_samples == record.n_samples
    assert np.array_equal(reopened.beats.sample, session.beat_sample)
    assert np.allclose(reopened.signal, session.signal, atol=2e-3)
    assert reopened.signal[sample, record.model_channel] > record.signal[sample, record.model_channel] + 0.7
    assert any("baseline +0.8 mV" in comment for comment in reopened.comments)


def test_save_refuses_source_folder(session, mitdb_dir):
    with pytest.raises(EditError, match="another folder"):
        save_counterfactual(session, mitdb_dir)


def test_search_turns_v_beat_normal(session):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])

    outcome = search_counterfactual(session, beat, N, sample - 54, sample + 90)

    assert outcome.found, outcome.message
    assert session.predicted()[beat] == N
    assert session.edits == [outcome.edit]
    assert 0.0 < outcome.max_change_mv < 2.0 * 3
    session.undo()
    assert session.predicted()[beat] == V


def test_state_change_is_local(session):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])
    assert state_change(session, np.array([], dtype=np.int64)) is None

    unchanged = state_change(session, np.array([beat]))
    assert np.array_equal(unchanged.original, unchanged.edited, equal_nan=True)

    result = session.apply(Edit("scale", sample - 40, sample + 60, record.model_channel, value=0.3))
    change = state_change(session, result.beats)

    assert change.state_sample.min() < sample < change.state_sample.max()
    assert change.original.shape == change.edited.shape
    assert change.original.shape[1] == len(session.classifier.wiring.neuron_names())
    difference = np.abs(change.difference)
    assert np.nanmax(difference) > 0.05
    at_edit = np.abs(change.state_sample - sample) < 0.2 * record.fs
    assert np.nanmax(difference[at_edit]) > 0.05


def test_search_cancel_leaves_session_unchanged(session):
    record = session.record
    beat = rhythm_normal_v_beat(session)
    sample = int(record.beats.sample[beat])

    outcome = search_counterfactual(session, beat, N, sample - 54, sample + 90, should_cancel=lambda: True)

    assert outcome.cancelled
    assert not outcome.found
    assert session.edits == []


def test_describe_numbers_beats_from_one():
    assert "shape of beat 3 " in Edit("paste", 0, 10, 0, beat=2).describe()
    assert "delete_beat beat 1 " in Edit("delete_beat", 0, 10, 0, beat=0).describe()
