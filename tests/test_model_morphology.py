"""Shape comparisons with the dominant beat, on real beats of record 119 (bigeminy with wide V beats)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from model.classifier import BeatClassifier, synapse_table
from model.morphology import MORPHOLOGY_FEATURE_NAMES, morphology_features
from model.preprocess import InputConfig, prepare_beats
from model.records import AAMI_CLASSES, load_record
from model.wiring import WiringConfig

CONFIG = InputConfig(irregularity_statistic="median", morphology_features=True)


@pytest.fixture(scope="module")
def beats_119(mitdb_dir):
    record = load_record(mitdb_dir / "119.hea")
    inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, CONFIG)
    features = np.asarray(
        morphology_features(jnp.asarray(inputs.ecg), jnp.asarray(inputs.template), CONFIG.samples_before, CONFIG.model_fs)
    )
    return record, inputs, features


def test_ventricular_beats_differ_from_the_dominant_beat(beats_119):
    record, _, features = beats_119
    normal = record.beats.aami == AAMI_CLASSES.index("N")
    ventricular = record.beats.aami == AAMI_CLASSES.index("V")
    column = {name: index for index, name in enumerate(MORPHOLOGY_FEATURE_NAMES)}

    normal_median = np.median(features[normal], axis=0)
    ventricular_median = np.median(features[ventricular], axis=0)
    # Normal beats look like the dominant beat; record 119's V beats are wide and tall.
    assert normal_median[column["QRS shape distance"]] < 0.1
    assert normal_median[column["QRS difference energy"]] < 0.4
    assert ventricular_median[column["QRS difference energy"]] > 1.0
    assert ventricular_median[column["log QRS width ratio"]] > 0.4
    assert ventricular_median[column["log QRS size ratio"]] > 0.3
    # One threshold on the difference energy already separates most beats.
    threshold = 0.7
    assert np.mean(features[ventricular, column["QRS difference energy"]] > threshold) > 0.9
    assert np.mean(features[normal, column["QRS difference energy"]] < threshold) > 0.9


def test_template_compared_with_itself_scores_zero(beats_119):
    _, inputs, _ = beats_119
    template = jnp.asarray(inputs.template[:5])
    features = np.asarray(morphology_features(template, template, CONFIG.samples_before, CONFIG.model_fs))

    np.testing.assert_allclose(features, 0.0, atol=1e-3)


def test_classifier_reads_morphology_and_passes_gradients_to_samples(beats_119):
    _, inputs, _ = beats_119
    wiring = WiringConfig(n_inputs=CONFIG.n_ecg_channels + CONFIG.n_scalar_inputs, n_ecg_inputs=CONFIG.n_ecg_channels)
    model = BeatClassifier(CONFIG, wiring, key=jax.random.PRNGKey(0))
    ecg, rr, template = (jnp.asarray(a[:4]) for a in (inputs.ecg, inputs.rr, inputs.template))

    assert synapse_table(model).input_names[-5:] == list(MORPHOLOGY_FEATURE_NAMES)

    def feature_sum(window):
        return morphology_features(window, template, CONFIG.samples_before, CONFIG.model_fs).sum()

    # Attribution and the counterfactual search need the features to pass gradients to the QRS samples.
    gradient = np.asarray(jax.grad(feature_sum)(ecg))
    assert np.isfinite(gradient).all()
    qrs = slice(CONFIG.samples_before - 12, CONFIG.samples_before + 13)
    assert np.abs(gradient[:, qrs]).sum() > 0
    logits, _ = model(ecg, rr, template)
    assert logits.shape == (4, len(AAMI_CLASSES))
    with pytest.raises(ValueError, match="dominant beat"):
        model(ecg, rr, None)
