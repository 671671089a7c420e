"""Scalar comparisons of a beat's shape with the record's dominant beat, computed inside the network.

A ventricular beat differs from the patient's usual beat in QRS shape, width
and size. A normal beat in atrial fibrillation comes early but keeps the
usual QRS. Five numbers give how far each beat is from the dominant beat, so
that the 19 neurons need not work them out from the raw difference channel.

They are computed with jax.numpy from the same windows the network reads.
Noise added in training therefore reaches them, and integrated gradients and
the counterfactual search pass through them to the samples.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, Float

MORPHOLOGY_FEATURE_NAMES = (
    "QRS shape distance",
    "QRS difference energy",
    "log QRS width ratio",
    "log QRS size ratio",
    "pre-QRS difference",
)
"""Inputs in order, appended after the RR features when `InputConfig.morphology_features` is set."""

QRS_HALF_WIDTH_S = 0.10
"""The QRS is compared over the R peak +/- 100 ms."""
WIDTH_HALF_SPAN_S = 0.15
"""QRS width is measured from the slope within the R peak +/- 150 ms."""
PRE_QRS_SPAN_S = (0.25, 0.08)
"""The P wave region: 250 ms to 80 ms before the R peak."""
_EPS = 1e-4
_RMS_EPS = 1e-8
"""Keeps the root-mean-square differentiable at zero without moving it visibly."""


def _centred(x: Array) -> Array:
    return x - jnp.mean(x, axis=-1, keepdims=True)


def _rms(x: Array) -> Array:
    return jnp.sqrt(jnp.mean(x**2, axis=-1) + _RMS_EPS)


def _slope_spread(x: Array) -> Array:
    """Spread in samples of the squared slope about its centre: large for a wide QRS."""
    slope2 = jnp.diff(x, axis=-1) ** 2 + _EPS
    times = jnp.arange(slope2.shape[-1], dtype=x.dtype)
    weight = slope2 / jnp.sum(slope2, axis=-1, keepdims=True)
    centre = jnp.sum(weight * times, axis=-1, keepdims=True)
    return jnp.sqrt(jnp.sum(weight * (times - centre) ** 2, axis=-1) + _EPS)


def morphology_features(
    ecg: Float[Array, "batch samples"],
    template: Float[Array, "batch samples"],
    r_index: int,
    fs: float,
) -> Float[Array, "batch 5"]:
    """Return the five features of `MORPHOLOGY_FEATURE_NAMES` for windows with the R peak at `r_index`.

    `ecg` and `template` are normalised windows at `fs` Hz. Every feature is
    about 0 for a beat shaped like the dominant beat and moves away from 0 with the
    difference (the width and size ratios are negative for a narrower or
    smaller QRS). All are clipped to [-2, 2], like the RR features.
    """
    half = int(round(QRS_HALF_WIDTH_S * fs))
    qrs = slice(max(0, r_index - half), r_index + half + 1)
    beat_qrs, usual_qrs = _centred(ecg[:, qrs]), _centred(template[:, qrs])

    usual_size = _rms(usual_qrs)
    correlation = jnp.sum(beat_qrs * usual_qrs, axis=-1) / (
        jnp.sqrt(jnp.sum(beat_qrs**2, axis=-1) * jnp.sum(usual_qrs**2, axis=-1)) + _EPS
    )
    shape_distance = 1.0 - correlation
    difference_energy = _rms(beat_qrs - usual_qrs) / usual_size

    span = int(round(WIDTH_HALF_SPAN_S * fs))
    wide = slice(max(0, r_index - span), r_index + span + 1)
    width_ratio = jnp.log(_slope_spread(ecg[:, wide]) / _slope_spread(template[:, wide]))
    size_ratio = jnp.log(_rms(beat_qrs) / usual_size)

    first, last = (r_index - int(round(s * fs)) for s in PRE_QRS_SPAN_S)
    pre_qrs = _rms(_centred(ecg[:, first:last]) - _centred(template[:, first:last])) / usual_size

    features = jnp.stack([shape_distance, difference_energy, width_ratio, size_ratio, pre_qrs], axis=1)
    return jnp.clip(features, -2.0, 2.0)
