"""A GRU or LSTM beat classifier on the same inputs as the LTC, for the compactness comparison."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from model.classifier import DERIVATIVE_GAIN
from model.morphology import morphology_features
from model.preprocess import InputConfig
from model.records import AAMI_CLASSES


@dataclass(frozen=True)
class RecurrentConfig:
    """Cell type and width of the baseline; stored in its model card."""

    cell: str = "gru"
    hidden: int = 128

    def to_dict(self) -> dict:
        return asdict(self)


class RecurrentClassifier(eqx.Module):
    """A discrete-time recurrent network with the LTC classifier's inputs and readout.

    h_t = cell(x_t, h_t-1) with x_t the ECG channels and RR features;
    logits = W [h_T; mean_t h_t] + b.
    """

    cell: eqx.nn.GRUCell | eqx.nn.LSTMCell
    readout: eqx.nn.Linear
    input_config: InputConfig = eqx.field(static=True)
    recurrent_config: RecurrentConfig = eqx.field(static=True)

    def __init__(self, input_config: InputConfig, recurrent_config: RecurrentConfig, *, key: jax.Array):
        cell_key, readout_key = jax.random.split(key)
        n_inputs = input_config.n_ecg_channels + input_config.n_scalar_inputs
        cell_type = {"gru": eqx.nn.GRUCell, "lstm": eqx.nn.LSTMCell}[recurrent_config.cell]
        self.cell = cell_type(n_inputs, recurrent_config.hidden, key=cell_key)
        self.readout = eqx.nn.Linear(2 * recurrent_config.hidden, len(AAMI_CLASSES), key=readout_key)
        self.input_config = input_config
        self.recurrent_config = recurrent_config

    def _inputs(self, ecg, rr, template) -> Float[Array, "samples inputs"]:
        channels = [ecg]
        if self.input_config.derivative_channel:
            channels.append(jnp.diff(ecg, prepend=ecg[:1]) * DERIVATIVE_GAIN)
        if self.input_config.template_channel:
            channels.append(ecg - template)
        ecg_part = jnp.stack(channels, axis=1)
        if self.input_config.morphology_features:
            config = self.input_config
            shape = morphology_features(ecg[None], template[None], config.samples_before, config.model_fs)[0]
            rr = jnp.concatenate([rr, shape.astype(rr.dtype)])
        return jnp.concatenate([ecg_part, jnp.broadcast_to(rr, (ecg.shape[0], rr.shape[0]))], axis=1)

    def _single(self, ecg, rr, template):
        hidden = self.recurrent_config.hidden
        if self.recurrent_config.cell == "lstm":
            state = (jnp.zeros(hidden), jnp.zeros(hidden))
        else:
            state = jnp.zeros(hidden)

        def step(carry, x):
            carry = self.cell(x, carry)
            output = carry[0] if isinstance(carry, tuple) else carry
            return carry, output

        _, outputs = jax.lax.scan(step, state, self._inputs(ecg, rr, template))
        features = jnp.concatenate([outputs[-1], outputs.mean(axis=0)])
        return self.readout(features), outputs

    def __call__(
        self,
        ecg: Float[Array, "batch samples"],
        rr: Float[Array, "batch rr"],
        template: Float[Array, "batch samples"] | None = None,
    ) -> tuple[Float[Array, "batch classes"], Float[Array, "samples hidden batch"]]:
        """Return class logits and hidden-state trajectories, shaped like the LTC classifier's."""
        if template is None:
            template = jnp.zeros_like(ecg)
        logits, outputs = jax.vmap(self._single)(ecg, rr, template)
        return logits, jnp.transpose(outputs, (1, 2, 0))
