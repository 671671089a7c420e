"""The LTC network: wiring, ODE solvers and the saved-weights check."""

from __future__ import annotations

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from model.classifier import BeatClassifier, SolverConfig, count_parameters
from model.wiring import WiringConfig, build_wiring
from model.weights import DEFAULT_WEIGHTS, WeightsError, card_path_for, load_classifier_file


def test_wiring_is_deterministic_and_layered():
    wiring = build_wiring()
    again = build_wiring()
    assert np.array_equal(wiring.pre, again.pre)
    assert np.array_equal(wiring.post, again.post)

    config = wiring.config
    roles = np.array(wiring.neuron_roles())
    assert len(roles) == 19
    assert (roles == "motor").sum() == 5
    # Sensory inputs reach inter neurons only, and every inter neuron hears one.
    assert set(roles[wiring.sensory_post]) == {"inter"}
    assert set(wiring.sensory_post) == set(range(config.n_inter))
    # Motor neurons only receive; each receives from a command neuron.
    assert "motor" not in set(roles[wiring.pre])
    motor_sources = roles[wiring.pre[roles[wiring.post] == "motor"]]
    assert set(motor_sources) == {"command"}
    assert set(np.flatnonzero(roles == "motor")) <= set(wiring.post)
    # Sparse: far fewer synapses than the 19 x 19 a dense network evaluates.
    assert len(wiring.pre) < 60
    assert set(np.unique(wiring.polarity)) <= {-1.0, 1.0}


def test_other_seed_gives_other_wiring():
    first = build_wiring(WiringConfig(seed=1))
    second = build_wiring(WiringConfig(seed=2))
    assert not (
        len(first.pre) == len(second.pre)
        and np.array_equal(first.pre, second.pre)
        and np.array_equal(first.post, second.post)
    )


def _random_inputs(batch: int = 8, samples: int = 40):
    rng = np.random.default_rng(0)
    ecg = jnp.asarray(rng.normal(size=(batch, samples)).astype(np.float32))
    rr = jnp.asarray(rng.normal(scale=0.3, size=(batch, 6)).astype(np.float32))
    template = jnp.asarray(rng.normal(size=(batch, samples)).astype(np.float32))
    return ecg, rr, template


def test_fused_solver_converges_to_fine_euler():
    ecg, rr, template = _random_inputs()
    key = jax.random.PRNGKey(3)
    fine_fused = BeatClassifier(solver_config=SolverConfig("fused", 64), key=key)
    fine_euler = BeatClassifier(solver_config=SolverConfig("euler", 256), key=key)
    coarse_fused = BeatClassifier(solver_config=SolverConfig("fused", 1), key=key)

    # Euler with 256 steps per sample is far inside its stability limit, so it
    # serves as the exact solution.
    reference = np.asarray(fine_euler.states(ecg, rr, template))
    fine_error = np.max(np.abs(np.asarray(fine_fused.states(ecg, rr, template)) - reference))
    coarse_error = np.max(np.abs(np.asarray(coarse_fused.states(ecg, rr, template)) - reference))

    assert reference.shape == (40, 19, 8)
    assert np.isfinite(reference).all()
    assert fine_error < 0.02
    # First order: 64 times smaller steps must give a clearly smaller error.
    assert fine_error < coarse_error / 8


def test_fused_solver_stays_bounded_with_one_step():
    ecg, rr, template = _random_inputs()
    model = BeatClassifier(solver_config=SolverConfig("fused", 1), key=jax.random.PRNGKey(0))
    states = np.asarray(model.states(ecg * 20.0, rr, template))
    # Each update is a convex combination of v0 and reversal potentials in [-1, 1].
    assert np.abs(states).max() <= 1.0 + 1e-5


def test_classifier_outputs_shapes():
    ecg, rr, template = _random_inputs(batch=3, samples=30)
    model = BeatClassifier(key=jax.random.PRNGKey(0))
    logits, states = model(ecg, rr, template)
    assert logits.shape == (3, 5)
    assert states.shape == (30, 19, 3)
    assert 300 < count_parameters(model) < 2000


def test_shipped_weights_load_with_card():
    model, card = load_classifier_file(DEFAULT_WEIGHTS)
    assert card["parameters"] == count_parameters(model)
    assert card["wiring_config"]["n_inter"] + card["wiring_config"]["n_command"] == 14
    assert "intended_use" in card


def test_altered_weights_are_rejected(tmp_path):
    weights = tmp_path / DEFAULT_WEIGHTS.name
    shutil.copy(DEFAULT_WEIGHTS, weights)
    shutil.copy(card_path_for(DEFAULT_WEIGHTS), card_path_for(weights))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))

    with pytest.raises(WeightsError, match="SHA-256"):
        load_classifier_file(weights)
