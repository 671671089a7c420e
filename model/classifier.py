"""The beat classifier: ECG window and RR features -> LTC dynamics -> five AAMI class logits."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from model.ltc import FusedLTCSolver, LTCCell, LTCTerm
from model.morphology import MORPHOLOGY_FEATURE_NAMES, morphology_features
from model.preprocess import RR_FEATURE_NAMES, InputConfig
from model.records import AAMI_CLASSES
from model.wiring import Wiring, WiringConfig, build_wiring

DERIVATIVE_GAIN = 3.0
"""Scales the per-sample ECG difference to about unit range: at 120 Hz a normalised
R wave rises by about 0.3 per sample."""

SOLVERS = {
    "fused": FusedLTCSolver,
    "euler": diffrax.Euler,
    "heun": diffrax.Heun,
    "tsit5": diffrax.Tsit5,
}
"""Solvers selectable by name; all use a fixed number of steps per input sample."""


@dataclass(frozen=True)
class SolverConfig:
    """ODE solver settings; stored in the model card."""

    name: str = "fused"
    steps_per_sample: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class BeatClassifier(eqx.Module):
    """LTC network plus a linear readout of each neuron's final and mean potential.

    For a window of T samples the LTC state v(t) starts at 0 and is integrated
    over [0, T]; logits = W [v(T); mean_t v(t)] + b. The readout reads all
    neurons, and the motor neuron of each class is its named output.
    """

    cell: LTCCell
    readout_w: Float[Array, "classes features"]
    readout_b: Float[Array, " classes"]
    input_config: InputConfig = eqx.field(static=True)
    wiring_config: WiringConfig = eqx.field(static=True)
    solver_config: SolverConfig = eqx.field(static=True)

    def __init__(
        self,
        input_config: InputConfig = InputConfig(),
        wiring_config: WiringConfig = WiringConfig(),
        solver_config: SolverConfig = SolverConfig(),
        *,
        key: jax.Array,
    ):
        expected_inputs = input_config.n_ecg_channels + input_config.n_scalar_inputs
        if wiring_config.n_inputs != expected_inputs or wiring_config.n_ecg_inputs != input_config.n_ecg_channels:
            raise ValueError(
                f"wiring has {wiring_config.n_inputs} inputs ({wiring_config.n_ecg_inputs} ECG); "
                f"the input config gives {input_config.n_ecg_channels} ECG channels, "
                f"{input_config.n_rr_features} RR features and "
                f"{input_config.n_morphology_features} morphology features."
            )
        cell_key, readout_key = jax.random.split(key)
        self.cell = LTCCell(build_wiring(wiring_config), key=cell_key)
        n_features = 2 * wiring_config.n_neurons
        self.readout_w = jax.random.normal(readout_key, (len(AAMI_CLASSES), n_features)) * 0.1
        self.readout_b = jnp.zeros((len(AAMI_CLASSES),))
        self.input_config = input_config
        self.wiring_config = wiring_config
        self.solver_config = solver_config

    @property
    def wiring(self) -> Wiring:
        return build_wiring(self.wiring_config)

    def states(
        self,
        ecg: Float[Array, "batch samples"],
        rr: Float[Array, "batch rr"],
        template: Float[Array, "batch samples"] | None = None,
    ) -> Float[Array, "samples neurons batch"]:
        """Integrate the LTC over each window; returns v after each input sample.

        `template` is the record's dominant beat shape for each window, needed
        when the input config has a template channel or morphology features.
        """
        config = self.input_config
        n_samples = ecg.shape[1]
        if template is None and (config.template_channel or config.morphology_features):
            raise ValueError("this classifier reads the dominant beat shape: pass `template`.")
        ecg_channels = [ecg.T[:, None, :]]
        if config.derivative_channel:
            slope = jnp.diff(ecg, axis=1, prepend=ecg[:, :1]) * DERIVATIVE_GAIN
            ecg_channels.append(slope.T[:, None, :])
        if config.template_channel:
            ecg_channels.append((ecg - template).T[:, None, :])
        scalars = rr
        if config.morphology_features:
            shape = morphology_features(ecg, template, config.samples_before, config.model_fs)
            scalars = jnp.concatenate([rr, shape.astype(rr.dtype)], axis=1)
        scalar_channels = jnp.broadcast_to(scalars.T[None, :, :], (n_samples, scalars.shape[1], scalars.shape[0]))
        inputs = jnp.concatenate([*ecg_channels, scalar_channels], axis=1)

        steps = self.solver_config.steps_per_sample
        n_steps = n_samples * steps
        step_times = jnp.arange(n_steps + 1, dtype=jnp.float32) / steps
        y0 = jnp.zeros((self.cell.n_neurons, ecg.shape[0]), dtype=ecg.dtype)
        solution = diffrax.diffeqsolve(
            LTCTerm(self.cell),
            SOLVERS[self.solver_config.name](),
            t0=0.0,
            t1=float(n_samples),
            dt0=None,
            y0=y0,
            args=inputs,
            saveat=diffrax.SaveAt(steps=True),
            stepsize_controller=diffrax.StepTo(ts=step_times),
            max_steps=n_steps,
            adjoint=diffrax.RecursiveCheckpointAdjoint(checkpoints=n_steps),
        )
        return solution.ys[steps - 1 :: steps]

    def logits_from_states(
        self, states: Float[Array, "samples neurons batch"]
    ) -> Float[Array, "batch classes"]:
        features = jnp.concatenate([states[-1], jnp.mean(states, axis=0)], axis=0)
        return (self.readout_w @ features).T + self.readout_b

    def __call__(
        self,
        ecg: Float[Array, "batch samples"],
        rr: Float[Array, "batch rr"],
        template: Float[Array, "batch samples"] | None = None,
    ) -> tuple[Float[Array, "batch classes"], Float[Array, "samples neurons batch"]]:
        """Return class logits and the neuron-state trajectories for a batch of beats."""
        states = self.states(ecg, rr, template)
        return self.logits_from_states(states), states


@dataclass(frozen=True)
class SynapseTable:
    """The trained synapses as plain arrays, for drawing the wiring without JAX.

    Sources are input channels (`source_is_input` True) or neurons. `weight` is
    the maximum conductance w (after softplus), and `reversal` is the reversal
    potential E, whose sign makes a synapse excitatory (+) or inhibitory (-).
    """

    source: np.ndarray
    source_is_input: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    reversal: np.ndarray
    input_names: list[str]


def synapse_table(model: BeatClassifier) -> SynapseTable:
    """Return every sensory and recurrent synapse of `model` with its trained weight and sign."""
    cell = model.cell
    n_sensory, n_recurrent = len(cell.sensory_pre), len(cell.pre)
    config = model.input_config
    ecg_names = ["ECG"] + (["ECG slope"] if config.derivative_channel else [])
    ecg_names += ["ECG - dominant beat"] if config.template_channel else []
    rr_names = list(RR_FEATURE_NAMES[: config.n_rr_features])
    rr_names += list(MORPHOLOGY_FEATURE_NAMES[: config.n_morphology_features])
    return SynapseTable(
        source=np.concatenate([np.asarray(cell.sensory_pre), np.asarray(cell.pre)]).astype(np.int64),
        source_is_input=np.concatenate([np.ones(n_sensory, bool), np.zeros(n_recurrent, bool)]),
        target=np.concatenate([np.asarray(cell.sensory_post), np.asarray(cell.post)]).astype(np.int64),
        weight=np.concatenate(
            [np.asarray(jax.nn.softplus(cell.sensory_weight_raw)), np.asarray(jax.nn.softplus(cell.weight_raw))]
        ).astype(np.float32),
        reversal=np.concatenate([np.asarray(cell.sensory_erev), np.asarray(cell.erev)]).astype(np.float32),
        input_names=ecg_names + rr_names,
    )


def count_parameters(model: eqx.Module) -> int:
    leaves = jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))
    return int(sum(leaf.size for leaf in leaves))
