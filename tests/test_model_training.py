"""Training helpers: class weights and the rhythm-swap augmentation."""

from __future__ import annotations

import numpy as np

from model.records import AAMI_CLASSES
from model.train import class_weights, swap_rhythm

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
