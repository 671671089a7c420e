"""Classify every beat of a record and place the neuron states on the record's time axis."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from model.baseline import RecurrentClassifier
from model.classifier import BeatClassifier, SolverConfig, SynapseTable, synapse_table
from model.preprocess import BeatInputs, prepare_beats
from model.records import EcgRecord
from model.weights import DEFAULT_WEIGHTS, load_classifier_file

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 256
MAX_STATE_COLUMNS = 2_000_000
"""Maximum number of columns in a record's state track (145 MB for 19 neurons). Longer records keep every
k-th model-rate sample: a 24-hour record at 120 Hz keeps every 6th, one column per 50 ms."""
UNCLASSIFIED = -1
"""`predicted` value of a beat whose input window touches invalid samples."""


def compilation_cache_dir() -> Path:
    """Folder of JAX's persistent compilation cache (under XDG_CACHE_HOME, default ~/.cache)."""
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home / "liquid-ecg" / "jax-cache"


def enable_compilation_cache() -> None:
    """Let later processes reuse compiled programs instead of compiling again (seconds per launch)."""
    try:
        folder = compilation_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        logger.warning("JAX compilation cache disabled: %s", error)
        return
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


enable_compilation_cache()


class SolverDivergedError(RuntimeError):
    """The ODE solve produced non-finite states: the solver is unstable at this step size."""


class ClassificationCancelled(Exception):
    """Raised between batches when the caller's should_cancel() returns True."""


@dataclass
class RecordPrediction:
    """Network output for every beat of a record, on the record's own sample axis."""

    sample: np.ndarray
    """int64 (n_beats,): beat positions in samples at the record's fs."""
    probabilities: np.ndarray
    """float32 (n_beats, 5): class probabilities in AAMI_CLASSES order; NaN where unclassified."""
    predicted: np.ndarray
    """int8 (n_beats,): index into AAMI_CLASSES, or UNCLASSIFIED (-1)."""
    classified: np.ndarray
    """bool (n_beats,): False where the input window touches invalid samples."""
    rr_s: np.ndarray
    """float32 (n_beats, 2): previous and next RR interval in seconds."""
    state_sample: np.ndarray
    """int64 (n_steps,): record sample of each state column, evenly spaced (one column per model-rate
    sample up to MAX_STATE_COLUMNS columns, fewer for longer records)."""
    states: np.ndarray
    """float32 (n_steps, n_neurons): neuron potentials; NaN where no beat window covers."""
    neuron_names: list[str]
    neuron_roles: list[str]
    synapses: SynapseTable | None = None
    """The trained wiring (LTC classifiers only), for the wiring view."""


_CACHE: dict[tuple[Path, SolverConfig | None], BeatClassifier] = {}


def load_classifier(
    weights_path: str | Path | None = None, solver_config: SolverConfig | None = None
) -> BeatClassifier:
    """Load (once per path) the classifier; the default is the shipped weights in resources/."""
    path = Path(weights_path) if weights_path else DEFAULT_WEIGHTS
    key = (path.resolve(), solver_config)
    if key not in _CACHE:
        _CACHE[key], _ = load_classifier_file(path, solver_config)
    return _CACHE[key]


@eqx.filter_jit
def _forward(
    model: BeatClassifier, ecg: jax.Array, rr: jax.Array, template: jax.Array
) -> tuple[jax.Array, jax.Array]:
    logits, states = model(ecg, rr, template)
    return jax.nn.softmax(logits, axis=-1), jnp.transpose(states, (2, 0, 1))


def predict_beats(
    model: BeatClassifier,
    inputs: BeatInputs,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    state_sink: Callable[[int, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run the network on prepared beats; returns probabilities and per-beat states.

    Every batch is padded to `batch_size`, so one compiled program serves all
    batches. Returns (probabilities (n_beats, 5), states (n_beats, window, neurons)).
    With `state_sink`, each batch's states go to state_sink(first_beat, states)
    instead, and the returned states array is empty: a 24-hour record's
    per-beat states would take over 1 GB.
    """
    n_beats = len(inputs.ecg)
    window = inputs.ecg.shape[1]
    probabilities = np.zeros((n_beats, 5), dtype=np.float32)
    states: np.ndarray | None = None

    for start in range(0, n_beats, batch_size):
        if should_cancel is not None and should_cancel():
            raise ClassificationCancelled(f"cancelled after {start} of {n_beats} beats")

        stop = min(start + batch_size, n_beats)
        ecg = np.zeros((batch_size, window), dtype=np.float32)
        template = np.zeros((batch_size, window), dtype=np.float32)
        rr = np.zeros((batch_size, inputs.rr.shape[1]), dtype=np.float32)
        ecg[: stop - start] = inputs.ecg[start:stop]
        template[: stop - start] = inputs.template[start:stop]
        rr[: stop - start] = inputs.rr[start:stop]

        batch_probabilities, batch_states = _forward(
            model, jnp.asarray(ecg), jnp.asarray(rr), jnp.asarray(template)
        )
        probabilities[start:stop] = np.asarray(batch_probabilities)[: stop - start]
        if state_sink is not None:
            state_sink(start, np.asarray(batch_states)[: stop - start])
            states = np.zeros((0, window, batch_states.shape[2]), dtype=np.float32)
            if progress is not None:
                progress(stop, n_beats)
            continue
        if states is None:
            states = np.zeros((n_beats, window, batch_states.shape[2]), dtype=np.float32)
        states[start:stop] = np.asarray(batch_states)[: stop - start]
        if progress is not None:
            progress(stop, n_beats)

    if states is None:
        states = np.zeros((0, window, state_width(model)), dtype=np.float32)
    return probabilities, states


def state_width(model: BeatClassifier | RecurrentClassifier) -> int:
    """Return the number of neurons (LTC) or hidden units (baseline) in a state vector."""
    if isinstance(model, BeatClassifier):
        return model.wiring_config.n_neurons
    return model.recurrent_config.hidden


def place_states_on_record(
    beat_states: np.ndarray, window_start: np.ndarray, samples_before: int, n_model_samples: int
) -> np.ndarray:
    """Stitch per-beat state trajectories into one (n_model_samples, neurons) track.

    Each model-rate sample takes the state of the beat whose R peak is nearest,
    within that beat's window; samples no window reaches stay NaN.
    """
    track = np.full((n_model_samples, beat_states.shape[2]), np.nan, dtype=np.float32)
    place_beat_states(track, beat_states, 0, window_start, samples_before, n_model_samples, step=1)
    return track


def place_beat_states(
    track: np.ndarray,
    beat_states: np.ndarray,
    first_beat: int,
    window_start: np.ndarray,
    samples_before: int,
    n_model_samples: int,
    step: int,
) -> None:
    """Write the states of beats first_beat, first_beat + 1, ... into `track`, whose column k is model sample k * step.

    `window_start` covers every beat of the record, so each beat's share ends
    at the midpoints to its neighbours' R peaks as in place_states_on_record.
    """
    n_beats_total = len(window_start)
    window = beat_states.shape[1]
    peaks = window_start + samples_before

    for index in range(len(beat_states)):
        beat = first_beat + index
        first = window_start[beat]
        last = first + window
        if beat > 0:
            first = max(first, (peaks[beat - 1] + peaks[beat] + 1) // 2)
        if beat + 1 < n_beats_total:
            last = min(last, (peaks[beat] + peaks[beat + 1] + 1) // 2)
        first, last = max(first, 0), min(last, n_model_samples)

        column_first, column_last = -(-first // step), -(-last // step)
        if column_first >= column_last:
            continue
        offsets = np.arange(column_first, column_last) * step - window_start[beat]
        track[column_first:column_last] = beat_states[index, offsets]


def classify_record(
    record: EcgRecord,
    classifier: BeatClassifier,
    *,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RecordPrediction:
    """Classify every beat of `record` with `classifier`.

    progress(done_beats, total_beats) is called after each batch; when
    should_cancel() returns True, ClassificationCancelled is raised before the
    next batch.
    """
    config = classifier.input_config
    inputs = prepare_beats(record.model_signal_mv, record.fs, record.beats.sample, config)

    n_model_samples = int(np.ceil(record.n_samples * config.model_fs / record.fs))
    state_step = max(1, int(np.ceil(n_model_samples / MAX_STATE_COLUMNS)))
    track = np.full((-(-n_model_samples // state_step), state_width(classifier)), np.nan, dtype=np.float32)

    def place_batch(first_beat: int, batch_states: np.ndarray) -> None:
        place_beat_states(
            track, batch_states, first_beat, inputs.window_start, config.samples_before, n_model_samples, state_step
        )

    probabilities, _ = predict_beats(
        classifier,
        inputs,
        batch_size=batch_size,
        progress=progress,
        should_cancel=should_cancel,
        state_sink=place_batch,
    )

    diverged = inputs.valid & ~np.isfinite(probabilities).all(axis=1)
    if diverged.any():
        solver = classifier.solver_config if isinstance(classifier, BeatClassifier) else None
        raise SolverDivergedError(
            f"{record.header_path}: the network's ODE solve diverged on {int(diverged.sum())} of "
            f"{len(diverged)} beats with solver {solver}; use the fused solver or more steps per sample."
        )

    predicted = np.argmax(probabilities, axis=1).astype(np.int8)
    predicted[~inputs.valid] = UNCLASSIFIED
    probabilities[~inputs.valid] = np.nan

    state_sample = np.round(np.arange(len(track)) * state_step * (record.fs / config.model_fs)).astype(np.int64)

    if isinstance(classifier, BeatClassifier):
        neuron_names, neuron_roles = classifier.wiring.neuron_names(), classifier.wiring.neuron_roles()
    else:
        n_units = track.shape[1]
        neuron_names, neuron_roles = [f"unit {i + 1}" for i in range(n_units)], ["hidden"] * n_units
    return RecordPrediction(
        sample=record.beats.sample.copy(),
        probabilities=probabilities,
        predicted=predicted,
        classified=inputs.valid.copy(),
        rr_s=inputs.rr_s,
        state_sample=state_sample,
        states=track,
        neuron_names=neuron_names,
        neuron_roles=neuron_roles,
        synapses=synapse_table(classifier) if isinstance(classifier, BeatClassifier) else None,
    )
