"""The shipped classifier on real DS2 records: accuracy, state track, progress and cancel."""

from __future__ import annotations

import numpy as np
import pytest

from model.inference import ClassificationCancelled, classify_record, load_classifier
from model.metrics import confusion_matrix
from model.records import AAMI_CLASSES, load_record
from model.weights import read_card


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


@pytest.fixture(scope="module")
def record_103(mitdb_dir):
    return load_record(mitdb_dir / "103.hea")


def test_ds2_record_normal_beats_agree(classifier, record_103):
    prediction = classify_record(record_103, classifier)
    normal = record_103.beats.aami == AAMI_CLASSES.index("N")

    assert normal.sum() == 2082
    agreement = np.mean(prediction.predicted[normal] == AAMI_CLASSES.index("N"))
    assert agreement >= 0.90


def test_prediction_covers_the_record(classifier, record_103):
    prediction = classify_record(record_103, classifier)
    n_beats = len(record_103.beats)

    assert prediction.probabilities.shape == (n_beats, 5)
    assert np.allclose(prediction.probabilities.sum(axis=1), 1.0, atol=1e-4)
    assert np.array_equal(prediction.sample, record_103.beats.sample)
    assert prediction.states.shape[1] == 19
    assert prediction.neuron_names[-5:] == [f"motor {name}" for name in AAMI_CLASSES]
    # One state column per model-rate sample, spanning the whole record.
    assert prediction.state_sample[0] == 0
    assert prediction.state_sample[-1] >= record_103.n_samples - 3
    covered = np.isfinite(prediction.states).all(axis=1).mean()
    assert covered > 0.95
    # States differ between beats: the network is not a constant.
    assert np.nanstd(prediction.states, axis=0).min() > 1e-4


def test_card_metrics_reproduce(classifier, mitdb_dir):
    card = read_card()
    for name in ("100", "213"):
        record = load_record(mitdb_dir / f"{name}.hea")
        prediction = classify_record(record, classifier)
        counts = confusion_matrix(record.beats.aami, prediction.predicted)
        assert counts.tolist() == card["ds2"]["per_record_confusion"][name]


def test_progress_reaches_total(classifier, record_103):
    calls = []
    classify_record(record_103, classifier, progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (len(record_103.beats), len(record_103.beats))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_cancel_stops_between_batches(classifier, record_103):
    calls = []

    def cancel_after_first_batch() -> bool:
        return len(calls) >= 1

    with pytest.raises(ClassificationCancelled):
        classify_record(
            record_103,
            classifier,
            progress=lambda done, total: calls.append(done),
            should_cancel=cancel_after_first_batch,
        )
    assert len(calls) == 1


def test_unstable_solver_is_reported(record_103):
    from model.classifier import SolverConfig
    from model.inference import SolverDivergedError

    explicit = load_classifier(solver_config=SolverConfig("euler", 2))
    with pytest.raises(SolverDivergedError, match="103.hea"):
        classify_record(record_103, explicit)
