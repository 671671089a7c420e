"""Integrated gradients: which ECG samples of a beat's window pushed a class up or down.

For a beat window x, a baseline x' and the target class's log-probability F,

    IG_i = (x_i - x'_i) * mean over a in (0, 1] of dF/dx_i (x' + a (x - x'))

(Sundararajan et al., "Axiomatic Attribution for Deep Networks", ICML 2017).
The gradients run through the ODE solve. The attributions sum to
F(x) - F(x') up to the error of the Riemann sum, which `completeness_gap`
reports. The RR features and the dominant beat shape are held fixed, so the
result explains the waveform only. The baseline x' is the record's dominant
beat when the network reads it, because a flat line then looks ectopic, and a
flat line at 0 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from model.classifier import BeatClassifier
from model.preprocess import BeatInputs


@dataclass
class Attribution:
    """Integrated gradients of one beat for one class, at the network's input rate."""

    values: np.ndarray
    """float32 (window_length,): contribution of each input sample to the class log-probability."""
    target_class: int
    window_start: int
    """First window sample, in samples at the model rate."""
    log_probability: float
    """The target class's log-probability for the beat."""
    baseline_log_probability: float
    """The same for the baseline window (the dominant beat, or a flat line at 0)."""

    @property
    def completeness_gap(self) -> float:
        """Return |sum(values) - (F(x) - F(baseline))|, the Riemann-sum error."""
        return abs(float(self.values.sum()) - (self.log_probability - self.baseline_log_probability))


@eqx.filter_jit
def _integrated_gradients(model, ecg, rr, template, baseline, target_class, n_steps: int):
    def log_probability(window):
        logits, _ = model(window[None, :], rr[None, :], template[None, :])
        return jax.nn.log_softmax(logits[0])[target_class]

    alphas = (jnp.arange(n_steps, dtype=ecg.dtype) + 1.0) / n_steps
    path = baseline[None, :] + alphas[:, None] * (ecg - baseline)[None, :]
    gradients = jax.vmap(jax.grad(log_probability))(path)
    values = (ecg - baseline) * gradients.mean(axis=0)
    return values, log_probability(ecg), log_probability(baseline)


def integrated_gradients(
    model: BeatClassifier, inputs: BeatInputs, beat: int, target_class: int, n_steps: int = 32
) -> Attribution:
    """Attribute `beat`'s log-probability of `target_class` to the samples of its input window."""
    ecg = jnp.asarray(inputs.ecg[beat])
    template = jnp.asarray(inputs.template[beat])
    baseline = template if model.input_config.template_channel else jnp.zeros_like(ecg)
    values, log_probability, baseline_log_probability = _integrated_gradients(
        model,
        ecg,
        jnp.asarray(inputs.rr[beat]),
        template,
        baseline,
        # An array, not a Python int, so filter_jit traces the class instead of compiling once per class.
        jnp.asarray(target_class, dtype=jnp.int32),
        n_steps,
    )
    return Attribution(
        values=np.asarray(values, dtype=np.float32),
        target_class=int(target_class),
        window_start=int(inputs.window_start[beat]),
        log_probability=float(log_probability),
        baseline_log_probability=float(baseline_log_probability),
    )
