"""The RR intervals of one beat, measured like the network's RR features, on record 119."""

from __future__ import annotations

import numpy as np
import pytest

from model.beat_rhythm import beat_rhythm
from model.preprocess import RR_FEATURE_NAMES, InputConfig, rr_features
from model.records import AAMI_CLASSES, load_record


@pytest.fixture(scope="module")
def record_119(mitdb_dir):
    return load_record(mitdb_dir / "119.hea")


def test_intervals_in_milliseconds(record_119):
    sample, fs = record_119.beats.sample, record_119.fs
    rhythm = beat_rhythm(sample, fs, 50)

    assert rhythm.previous_rr_ms == pytest.approx((sample[50] - sample[49]) * 1000 / fs)
    assert rhythm.next_rr_ms == pytest.approx((sample[51] - sample[50]) * 1000 / fs)
    assert rhythm.local_mean_rr_ms == pytest.approx((sample[50] - sample[40]) * 1000 / fs / 10)


def test_ratio_matches_network_feature(record_119):
    sample, fs = record_119.beats.sample, record_119.fs
    config = InputConfig()
    features, _ = rr_features(sample, fs, config)
    previous_over_local = RR_FEATURE_NAMES.index("log pre/local")

    for beat in np.flatnonzero(record_119.beats.aami == AAMI_CLASSES.index("V"))[:20]:
        if beat < config.local_rr_beats:
            continue
        rhythm = beat_rhythm(sample, fs, int(beat))
        assert np.log(rhythm.previous_ratio) == pytest.approx(features[beat, previous_over_local], abs=1e-4)


def test_premature_v_beats_have_short_ratio(record_119):
    sample, fs = record_119.beats.sample, record_119.fs
    v_beats = np.flatnonzero(record_119.beats.aami == AAMI_CLASSES.index("V"))[1:40]
    ratios = [beat_rhythm(sample, fs, int(beat)).previous_ratio for beat in v_beats]

    # Record 119's ventricular beats are premature, most of them in bigeminy.
    assert np.median(ratios) < 0.85


def test_record_ends_have_no_neighbour(record_119):
    sample, fs = record_119.beats.sample, record_119.fs
    first = beat_rhythm(sample, fs, 0)
    last = beat_rhythm(sample, fs, len(sample) - 1)

    assert np.isnan(first.previous_rr_ms)
    assert np.isnan(first.local_mean_rr_ms)
    assert np.isfinite(first.next_rr_ms)
    assert np.isnan(last.next_rr_ms)
    assert np.isfinite(last.previous_ratio)
    with pytest.raises(IndexError):
        beat_rhythm(sample, fs, len(sample))
