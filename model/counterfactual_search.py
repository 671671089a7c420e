"""Minimal counterfactual: the smallest change to a segment that makes the network output a class.

For the selected beat's window x, a mask m over the segment and the target
class c, gradient descent on the additive change d minimises

    -log p_c(x + m d) + distance_weight * mean((m d)^2) + roughness_weight * mean(diff(m d)^2)

with |d| bounded, until c wins. The descent starts from the smallest blend of
the segment towards the record's dominant beat that makes c win, if one does,
else from no change. The change is then mapped to the record's
samples and applied as an ordinary `perturb` edit, so the user can inspect and
undo it. The result counts only if the full pipeline (filter, resample,
network) then labels the beat c.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from model.counterfactual import Edit, EditResult, EditSession
from model.records import AAMI_CLASSES


@dataclass
class SearchResult:
    """Outcome of a counterfactual search."""

    found: bool
    edit: Edit | None
    """The applied edit (left in the session, so it can be undone), or None when none was found."""
    result: EditResult | None
    rms_change_mv: float
    """Root-mean-square change over the segment, in mV."""
    max_change_mv: float
    iterations: int
    message: str
    cancelled: bool = False
    """True when `should_cancel` stopped the search. The session is then unchanged."""


@eqx.filter_jit
def _step(model, delta, optimizer_state, optimizer, ecg, rr, template, mask, target, weights, bound):
    distance_weight, roughness_weight = weights

    def loss(change):
        masked = mask * change
        logits, _ = model((ecg + masked)[None, :], rr[None, :], template[None, :])
        log_probabilities = jax.nn.log_softmax(logits[0])
        distance = jnp.mean(masked**2)
        roughness = jnp.mean(jnp.diff(masked) ** 2)
        return -log_probabilities[target] + distance_weight * distance + roughness_weight * roughness, log_probabilities

    (value, log_probabilities), gradient = jax.value_and_grad(loss, has_aux=True)(delta)
    updates, optimizer_state = optimizer.update(gradient, optimizer_state)
    delta = jnp.clip(optax.apply_updates(delta, updates), -bound, bound)
    return delta, optimizer_state, jnp.exp(log_probabilities)


def search_counterfactual(
    session: EditSession,
    beat: int,
    target_class: int,
    start: int,
    stop: int,
    *,
    channel: int | None = None,
    max_iterations: int = 300,
    bound: float = 2.0,
    distance_weight: float = 1.0,
    roughness_weight: float = 10.0,
    learning_rate: float = 0.05,
    should_cancel: Callable[[], bool] | None = None,
) -> SearchResult:
    """Search for the smallest change to [start, stop) (record samples) that makes `beat` the target class.

    `bound` limits the change per sample in units of the record's QRS amplitude.
    `should_cancel()` is polled before every gradient step, and when it returns
    True the search stops without changing the session.
    """
    record = session.record
    channel = record.model_channel if channel is None else channel
    if channel != record.model_channel:
        return SearchResult(False, None, None, 0.0, 0.0, 0, "the network reads only the model lead; choose a segment on it.")

    config = session.classifier.input_config
    inputs = session.inputs
    window_start = int(inputs.window_start[beat])
    window = np.arange(config.window_length) + window_start
    record_position = window * (record.fs / config.model_fs)
    mask = ((record_position >= start) & (record_position < stop)).astype(np.float32)
    if not mask.any():
        return SearchResult(False, None, None, 0.0, 0.0, 0, "the segment does not overlap the beat's input window.")

    optimizer = optax.adam(learning_rate)
    delta = _blend_start(
        session.classifier, inputs.ecg[beat], inputs.rr[beat], inputs.template[beat], mask,
        int(target_class), bound, SEARCH_MARGINS[0],
    )
    optimizer_state = optimizer.init(delta)
    arguments = (
        jnp.asarray(inputs.ecg[beat]),
        jnp.asarray(inputs.rr[beat]),
        jnp.asarray(inputs.template[beat]),
        jnp.asarray(mask),
        int(target_class),
        (distance_weight, roughness_weight),
        bound,
    )

    iterations = 0
    # A margin above 0.5 leaves room for the filter's small change to the
    # perturbation. When the full pipeline still disagrees, the search goes on to a wider margin.
    for margin in SEARCH_MARGINS:
        while iterations < max_iterations:
            if should_cancel is not None and should_cancel():
                return SearchResult(False, None, None, 0.0, 0.0, iterations, "search cancelled", cancelled=True)
            iterations += 1
            delta, optimizer_state, probabilities = _step(
                session.classifier, delta, optimizer_state, optimizer, *arguments
            )
            probabilities = np.asarray(probabilities)
            if np.argmax(probabilities) == target_class and probabilities[target_class] > margin:
                break
        else:
            return SearchResult(
                False, None, None, 0.0, 0.0, iterations,
                f"no change to the waveform within +/-{bound:g} QRS amplitudes per sample made the network "
                f"answer {AAMI_CLASSES[target_class]}. The search keeps the beat's RR intervals, which may decide "
                "its label: move the beat to test its timing.",
            )

        outcome = _apply_change(session, beat, target_class, start, stop, channel, delta, mask, iterations)
        if outcome.found:
            return outcome
    return outcome


SEARCH_MARGINS = (0.7, 0.95)
"""Target-class probabilities the search must reach in the network's window, tried in turn."""

BLEND_STEPS = 10
"""Blends towards the dominant beat tried before the gradient search, 10 % apart."""
BLEND_BISECTIONS = 4


@eqx.filter_jit
def _probabilities(model, ecg, rr, template):
    return jax.nn.softmax(model(ecg, rr, template)[0], axis=-1)


def _blend_start(model, ecg, rr, template, mask, target, bound, margin) -> jax.Array:
    """Return the smallest blend of the segment towards the record's dominant beat that makes `target` win.

    A network whose synapses saturate can give no useful gradient at the
    recorded beat, although replacing an ectopic QRS by the patient's usual
    one changes its output. Blends of 10 %, 20 % ... 100 % are tried in one
    batch and the first that wins is narrowed by bisection. Without a winning
    blend the search starts from no change.
    """
    change = mask * np.clip(template - ecg, -bound, bound)
    if not np.any(change):
        return jnp.zeros(len(ecg), dtype=jnp.float32)

    def wins(fractions: np.ndarray) -> np.ndarray:
        candidates = (ecg[None, :] + fractions[:, None] * change[None, :]).astype(np.float32)
        count = len(fractions)
        probabilities = np.asarray(
            _probabilities(
                model,
                jnp.asarray(candidates),
                jnp.asarray(np.repeat(rr[None, :], count, axis=0)),
                jnp.asarray(np.repeat(template[None, :], count, axis=0)),
            )
        )
        return (np.argmax(probabilities, axis=1) == target) & (probabilities[:, target] > margin)

    fractions = np.arange(1, BLEND_STEPS + 1, dtype=np.float32) / BLEND_STEPS
    winning = np.flatnonzero(wins(fractions))
    if not len(winning):
        return jnp.zeros(len(ecg), dtype=jnp.float32)

    high = float(fractions[winning[0]])
    low = high - 1.0 / BLEND_STEPS
    for _ in range(BLEND_BISECTIONS):
        middle = (low + high) / 2
        if wins(np.array([middle], dtype=np.float32))[0]:
            high = middle
        else:
            low = middle
    return jnp.asarray(high * change, dtype=jnp.float32)


def _apply_change(
    session: EditSession,
    beat: int,
    target_class: int,
    start: int,
    stop: int,
    channel: int,
    delta: jax.Array,
    mask: np.ndarray,
    iterations: int,
) -> SearchResult:
    """Map the change to record samples, apply it as an edit, and keep it only if the label becomes the target."""
    record = session.record
    config = session.classifier.input_config
    window_start = int(session.inputs.window_start[beat])
    samples = np.arange(start, stop)
    model_position = samples * (config.model_fs / record.fs) - window_start
    change_mv = np.interp(model_position, np.arange(config.window_length), np.asarray(mask * delta))
    change_mv = (change_mv * session.amplitude).astype(np.float32)

    beat_identity = session.beat_id[beat]
    edit = Edit("perturb", start, stop, channel, samples=tuple(float(v) for v in change_mv))
    result = session.apply(edit)
    current = int(np.flatnonzero(session.beat_id == beat_identity)[0])
    found = int(np.argmax(session.probabilities[current])) == target_class
    message = "found" if found else "the change won in the network's window but not after filtering; undone"
    if not found:
        session.undo()
    return SearchResult(
        found=found,
        edit=edit if found else None,
        result=result if found else None,
        rms_change_mv=float(np.sqrt(np.mean(change_mv**2))),
        max_change_mv=float(np.max(np.abs(change_mv))),
        iterations=iterations,
        message=message,
    )
