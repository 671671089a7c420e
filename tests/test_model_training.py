"""Training helpers: class weights, the rhythm-swap augmentation and offsets from held-out logits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.preprocess import InputConfig
from model.records import AAMI_CLASSES
from model.train import (
    _check_protocol_inputs,
    class_weights,
    cross_fitted_predictions,
    load_held_out,
    swap_rhythm,
)

N, S, V = (AAMI_CLASSES.index(name) for name in "NSV")


def test_class_weight_power_sets_balance():
    labels = np.array([N] * 900 + [V] * 100)

    unweighted = class_weights(labels, power=0.0)
    square_root = class_weights(labels, power=0.5)
    balanced = class_weights(labels, power=1.0)

    assert unweighted[V] == unweighted[N]
    assert square_root[V] / square_root[N] == np.float32(3.0)
    assert balanced[V] / balanced[N] == np.float32(9.0)


def test_rhythm_swap_exchanges_n_and_v():
    rng = np.random.default_rng(0)
    labels = np.array([N] * 500 + [S] * 100 + [V] * 400)
    rr = np.zeros((len(labels), 5), dtype=np.float32)
    rr[labels == S] = 2.0
    donors = {N: np.full((10, 5), 1.0, np.float32), S: np.full((10, 5), 2.0, np.float32),
              V: np.full((10, 5), 3.0, np.float32)}

    swapped = swap_rhythm(rr, labels, donors, 0.25, rng)

    assert np.all(swapped[labels == S] == 2.0)
    assert set(np.unique(swapped[labels == N])) == {0.0, 3.0}
    assert set(np.unique(swapped[labels == V])) == {0.0, 1.0}
    assert 0.15 < np.mean(swapped[labels == N, 0] == 3.0) < 0.35
    assert 0.15 < np.mean(swapped[labels == V, 0] == 1.0) < 0.35
    assert np.all(rr[labels == N] == 0.0)


def test_rhythm_swap_off_returns_input():
    labels = np.array([N, V])
    rr = np.zeros((2, 5), dtype=np.float32)
    donors = {N: rr[:1], V: rr[1:]}

    assert swap_rhythm(rr, labels, donors, 0.0, np.random.default_rng(0)) is rr


def _protocol_run(path, logits, label, fold, options):
    np.savez(path, logits=logits, label=label, fold=fold, options=json.dumps(options), seconds=1.0)
    return path


def test_cross_fitted_offsets_come_from_the_other_folds(tmp_path):
    # Fold 0 contains S beats whose S logit is 1 below N. Fold 1 contains N
    # beats with the same logits and a few clear S beats. Offsets tuned on
    # fold 1 cannot favour S, so fold 0's S beats stay N although an S offset
    # tuned on fold 0 itself would fix them. Fold 1 gets fold 0's S offset instead.
    label = np.array([S] * 50 + [N] * 50 + [S] * 5, dtype=np.int8)
    fold = np.array([0] * 50 + [1] * 50 + [1] * 5, dtype=np.int8)
    logits = np.zeros((len(label), 5), dtype=np.float32)
    logits[:, N] = 1.0
    logits[label == V, V] = 3.0
    logits[100:, S] = 3.0
    run = _protocol_run(tmp_path / "a.npz", logits, label, fold, ["--seeds", "1"])

    held_out = load_held_out([run])
    predicted = cross_fitted_predictions(held_out)

    assert np.all(predicted[:50] == N)
    assert np.all(predicted[50:100] == S)
    assert np.all(predicted[100:] == S)


def test_pooled_runs_average_probabilities_and_refuse_other_beats(tmp_path):
    label = np.array([N, V], dtype=np.int8)
    fold = np.array([0, 1], dtype=np.int8)
    sure_n = np.array([[5.0, 0, 0, 0, 0], [5.0, 0, 0, 0, 0]], dtype=np.float32)
    sure_v = np.array([[0, 0, 5.0, 0, 0], [0, 0, 5.0, 0, 0]], dtype=np.float32)
    first = _protocol_run(tmp_path / "n.npz", sure_n, label, fold, ["--seeds", "1"])
    second = _protocol_run(tmp_path / "v.npz", sure_v, label, fold, ["--seeds", "2"])

    pooled = load_held_out([first, second])
    probabilities = np.exp(pooled.log_probabilities)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert probabilities[0, N] == pytest.approx(probabilities[0, V])

    other = _protocol_run(tmp_path / "o.npz", sure_n, label, np.array([1, 0], np.int8), ["--seeds", "1"])
    with pytest.raises(ValueError, match="other beats or folds"):
        load_held_out([first, other])


def test_offsets_from_runs_with_other_inputs_are_refused(tmp_path):
    label = np.array([N], dtype=np.int8)
    run = _protocol_run(tmp_path / "m.npz", np.zeros((1, 5), np.float32), label, np.zeros(1, np.int8),
                        ["--morphology", "--seeds", "1"])
    held_out = load_held_out([run])

    with pytest.raises(ValueError, match="other inputs"):
        _check_protocol_inputs(held_out, [run], InputConfig())
    _check_protocol_inputs(held_out, [run], InputConfig(morphology_features=True))
