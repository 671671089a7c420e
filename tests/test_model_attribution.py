"""Integrated-gradients attribution through the ODE solve, on real beats of record 119."""

from __future__ import annotations

import numpy as np
import pytest

from model.attribution import integrated_gradients
from model.inference import load_classifier
from model.preprocess import prepare_beats
from model.records import AAMI_CLASSES, load_record


@pytest.fixture(scope="module")
def classifier():
    return load_classifier()


@pytest.fixture(scope="module")
def record_119_inputs(mitdb_dir, classifier):
    record = load_record(mitdb_dir / "119.hea")
    inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, classifier.input_config)
    return record, inputs


def test_attribution_covers_the_window(classifier, record_119_inputs):
    record, inputs = record_119_inputs
    v_beat = int(np.flatnonzero(record.beats.aami == AAMI_CLASSES.index("V"))[5])
    attribution = integrated_gradients(classifier, inputs, v_beat, AAMI_CLASSES.index("V"))

    assert attribution.values.shape == (classifier.input_config.window_length,)
    assert np.isfinite(attribution.values).all()
    assert np.abs(attribution.values).max() > 1e-3
    assert attribution.window_start == inputs.window_start[v_beat]


def test_attribution_sums_to_output_change(classifier, record_119_inputs):
    record, inputs = record_119_inputs
    v_beat = int(np.flatnonzero(record.beats.aami == AAMI_CLASSES.index("V"))[5])
    attribution = integrated_gradients(classifier, inputs, v_beat, AAMI_CLASSES.index("V"), n_steps=32)

    output_change = attribution.log_probability - attribution.baseline_log_probability
    assert abs(output_change) > 0.05
    assert attribution.completeness_gap < 0.05 * abs(output_change)


def test_attribution_peaks_near_the_qrs(classifier, record_119_inputs):
    record, inputs = record_119_inputs
    config = classifier.input_config
    v_beats = np.flatnonzero(record.beats.aami == AAMI_CLASSES.index("V"))[:5]

    for beat in v_beats:
        attribution = integrated_gradients(classifier, inputs, int(beat), AAMI_CLASSES.index("V"))
        peak_offset_s = (np.argmax(np.abs(attribution.values)) - config.samples_before) / config.model_fs
        # A ventricular beat is recognised by its wide QRS, which spans about 0.15 s around the R peak.
        assert abs(peak_offset_s) < 0.2, f"beat {beat}: peak at {peak_offset_s:+.2f} s"
