"""Counterfactual editing: change a segment of a record, re-classify only what changed, undo.

An `EditSession` keeps the original signal untouched and an ordered list of
edits. The edited signal is always the original with every edit applied in
order, and undo restores the probabilities saved before the edit, so undo,
redo and reset are exact. After each edit the model lead is
prepared again with the original record's QRS amplitude, and the network runs
only on beats whose inputs (ECG window or RR features) changed.

Regions are [start, stop) in samples at the record's fs; values are in mV.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import wfdb

from model.inference import place_beat_states, predict_beats
from model.preprocess import BeatInputs, prepare_beats
from model.records import AAMI_CLASSES, AAMI_TO_SYMBOL, COUNTERFACTUAL_COMMENT_PREFIX, EcgRecord

logger = logging.getLogger(__name__)

EDIT_KINDS = (
    "scale",
    "invert",
    "baseline",
    "flatten",
    "smooth",
    "noise",
    "stretch",
    "paste",
    "freehand",
    "perturb",
    "move_beat",
    "delete_beat",
)


class EditError(ValueError):
    """An edit that cannot be applied to this record; the message gives the reason."""


@dataclass(frozen=True)
class Edit:
    """One change to one lead over [start, stop).

    `value` is the factor (scale, stretch), the offset in mV (baseline), the
    noise SD in mV (noise), the window in samples (smooth) or the shift in
    samples (move_beat). `beat` is the beat moved or deleted, or the source
    beat of paste. `samples` are the new values (freehand) or the added values
    (perturb), in mV, one per sample of the region.
    """

    kind: str
    start: int
    stop: int
    channel: int
    value: float = 0.0
    beat: int = -1
    samples: tuple[float, ...] = ()
    seed: int = 0

    def describe(self) -> str:
        """Return a one-line description for the edit list and header comments.

        Beats are numbered from 1 in the beat list as it was when the edit was made,
        as the window's tables number them.
        """
        details = {
            "scale": f"x{self.value:g}",
            "baseline": f"{self.value:+g} mV",
            "noise": f"SD {self.value:g} mV, seed {self.seed}",
            "smooth": f"{int(self.value)} samples",
            "stretch": f"x{self.value:g}",
            "paste": f"shape of beat {self.beat + 1}",
            "move_beat": f"beat {self.beat + 1} by {int(self.value):+d} samples",
            "delete_beat": f"beat {self.beat + 1}",
            "perturb": f"max |change| {max((abs(v) for v in self.samples), default=0.0):.3f} mV",
        }.get(self.kind, "")
        return f"{self.kind} {details} on signal {self.channel}, samples {self.start}-{self.stop}".replace("  ", " ")


@dataclass
class EditResult:
    """Outcome of an edit: the beats classified again, with their probabilities before and after."""

    beats: np.ndarray
    """int64: indices, in the current beat list, of the beats whose inputs changed."""
    old_probabilities: np.ndarray
    """float32 (len(beats), 5): before the edit; NaN rows for beats that did not exist."""
    new_probabilities: np.ndarray
    """float32 (len(beats), 5): after the edit."""
    elapsed_s: float
    """Wall time from the edit to the new probabilities."""


@dataclass
class _State:
    signal: np.ndarray
    beat_sample: np.ndarray
    beat_id: np.ndarray
    """Original index of each current beat, so probabilities follow beats through moves and deletions."""


@dataclass
class EditSession:
    """The counterfactual state of one record: edits, undo/redo stacks and current predictions."""

    record: EcgRecord
    classifier: object
    edits: list[Edit] = field(default_factory=list)
    redo_stack: list[Edit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.original_signal = self.record.signal.copy()
        self.original_inputs = self._prepare(self.record.signal, self.record.beats.sample)
        self.amplitude = self.original_inputs.amplitude
        probabilities, _ = predict_beats(self.classifier, self.original_inputs)
        self.original_probabilities = probabilities
        self.state = _State(
            signal=self.original_signal.copy(),
            beat_sample=self.record.beats.sample.copy(),
            beat_id=np.arange(len(self.record.beats)),
        )
        self.inputs = self.original_inputs
        self.probabilities = probabilities.copy()
        self._undo_probabilities: list[np.ndarray] = []
        self._redo_probabilities: list[np.ndarray] = []

    # Public operations

    def apply(self, edit: Edit) -> EditResult:
        """Apply `edit` after the current ones and re-classify the beats it changed."""
        _validate(edit, self.record, self.state)
        self._undo_probabilities.append(self.probabilities)
        self.edits.append(edit)
        self.redo_stack.clear()
        self._redo_probabilities.clear()
        return self._recompute()

    def undo(self) -> EditResult | None:
        """Remove the last edit; the probabilities are those saved before it, so undo is exact."""
        if not self.edits:
            return None
        self.redo_stack.append(self.edits.pop())
        self._redo_probabilities.append(self.probabilities)
        return self._recompute(self._undo_probabilities.pop())

    def redo(self) -> EditResult | None:
        if not self.redo_stack:
            return None
        self.edits.append(self.redo_stack.pop())
        self._undo_probabilities.append(self.probabilities)
        return self._recompute(self._redo_probabilities.pop())

    def reset(self) -> EditResult:
        """Undo every edit at once (each can then be redone)."""
        result = None
        while self.edits:
            result = self.undo()
        return result or self._recompute(self.probabilities)

    def warm_up(self) -> None:
        """Compile the network for the batch sizes that edits use, so the first edit is as quick as later ones.

        Each size takes a second or more to trace and compile on a 2-core CPU.
        """
        beats = np.arange(min(len(self.state.beat_sample), 1))
        for size in _BATCH_SIZES[:-1]:
            predict_beats(self.classifier, _subset(self.original_inputs, beats), batch_size=size)

    @property
    def signal(self) -> np.ndarray:
        """float32 (n_samples, n_signals): the edited signal."""
        return self.state.signal

    @property
    def beat_sample(self) -> np.ndarray:
        return self.state.beat_sample

    @property
    def beat_id(self) -> np.ndarray:
        return self.state.beat_id

    def predicted(self) -> np.ndarray:
        return np.argmax(self.probabilities, axis=1)

    # Internals

    # NOTE: the whole lead is prepared again after every edit: about 30 ms for a
    # 30-minute record, but seconds for a 24-hour one.
    def _prepare(self, signal: np.ndarray, beat_sample: np.ndarray, amplitude: float | None = None) -> BeatInputs:
        return prepare_beats(
            signal[:, self.record.model_channel],
            self.record.fs,
            beat_sample,
            self.classifier.input_config,
            amplitude=amplitude,
        )

    def _recompute(self, known_probabilities: np.ndarray | None = None) -> EditResult:
        """Rebuild the edited state and its probabilities.

        `known_probabilities` (saved by undo or redo for exactly this edit list)
        are taken as they are; otherwise the beats whose inputs changed are
        classified again.
        """
        started = time.perf_counter()
        previous_ids = self.state.beat_id
        previous_inputs = self.inputs
        previous_probabilities = self.probabilities

        state = _State(self.original_signal.copy(), self.record.beats.sample.copy(), np.arange(len(self.record.beats)))
        for edit in self.edits:
            state = _apply(edit, state, self.record)
        inputs = self._prepare(state.signal, state.beat_sample, self.amplitude)
        # Edits are judged against the recorded dominant beat. Recomputed, the median
        # of 300 beats would shift slightly with any edit, so every beat of the
        # block would count as changed and a local edit would stop being local.
        inputs = dataclasses.replace(inputs, template=self.original_inputs.template[state.beat_id])

        changed = _changed_beats(
            inputs, state.beat_id, previous_inputs, previous_ids, self.classifier.input_config.template_channel
        )
        changed_beats = np.flatnonzero(changed)
        before = _positions_before(state.beat_id, previous_ids)
        if known_probabilities is not None:
            probabilities = known_probabilities
        else:
            probabilities = np.full((len(state.beat_id), len(AAMI_CLASSES)), np.nan, dtype=np.float32)
            unchanged_beats = np.flatnonzero(~changed)
            probabilities[unchanged_beats] = previous_probabilities[before[unchanged_beats]]
            if len(changed_beats):
                subset = _subset(inputs, changed_beats)
                batch_size = _batch_size(len(changed_beats))
                probabilities[changed_beats], _ = predict_beats(self.classifier, subset, batch_size=batch_size)

        old = np.full((len(changed_beats), len(AAMI_CLASSES)), np.nan, dtype=np.float32)
        existed = before[changed_beats] >= 0
        old[existed] = previous_probabilities[before[changed_beats][existed]]

        self.state, self.inputs, self.probabilities = state, inputs, probabilities
        return EditResult(
            beats=changed_beats,
            old_probabilities=old,
            new_probabilities=probabilities[changed_beats],
            elapsed_s=time.perf_counter() - started,
        )


_BATCH_SIZES = (8, 32, 256)
"""Small re-classifications are padded to these sizes, so each size compiles once."""


def _batch_size(n_beats: int) -> int:
    for size in _BATCH_SIZES:
        if n_beats <= size:
            return size
    return _BATCH_SIZES[-1]


def _subset(inputs: BeatInputs, beats: np.ndarray) -> BeatInputs:
    return dataclasses.replace(
        inputs,
        ecg=inputs.ecg[beats],
        rr=inputs.rr[beats],
        valid=inputs.valid[beats],
        window_start=inputs.window_start[beats],
        rr_s=inputs.rr_s[beats],
        template=inputs.template[beats],
    )


RR_TOLERANCE = 1e-3
"""RR features (log ratios) that move less than this count as unchanged.

Deleting a beat shifts the 5-minute mean RR of its ~300 neighbours by a few
thousandths, so they are classified again; smaller shifts are ignored.
"""


def _changed_beats(
    inputs: BeatInputs,
    beat_id: np.ndarray,
    previous: BeatInputs,
    previous_id: np.ndarray,
    compare_template: bool,
) -> np.ndarray:
    """Return a mask of current beats whose network inputs differ from before.

    The ECG window must match to 1e-4 in normalised units (an edit's effect
    through the band-pass filter decays below that within a few seconds). The
    dominant beat shape, a median over 300 beats, is compared only when the
    network reads it. Beats that did not exist before count as changed.
    """
    before = _positions_before(beat_id, previous_id)
    existed = before >= 0
    changed = np.ones(len(beat_id), dtype=bool)
    now, then = np.flatnonzero(existed), before[existed]

    window_moved = np.abs(inputs.ecg[now] - previous.ecg[then]).max(axis=1) > 1e-4
    rr_moved = np.abs(inputs.rr[now] - previous.rr[then]).max(axis=1) > RR_TOLERANCE
    moved = window_moved | rr_moved
    if compare_template:
        moved |= np.abs(inputs.template[now] - previous.template[then]).max(axis=1) > RR_TOLERANCE
    changed[now] = moved
    return changed


def _positions_before(beat_id: np.ndarray, previous_id: np.ndarray) -> np.ndarray:
    """Return, for each current beat, its index in the previous beat list, or -1 if it is new."""
    size = int(max(beat_id.max(initial=-1), previous_id.max(initial=-1))) + 1
    inverse = np.full(size, -1, dtype=np.int64)
    inverse[previous_id] = np.arange(len(previous_id))
    return inverse[beat_id]


def _validate(edit: Edit, record: EcgRecord, state: _State) -> None:
    if edit.kind not in EDIT_KINDS:
        raise EditError(f"unknown edit {edit.kind!r}; expected one of {', '.join(EDIT_KINDS)}.")
    if not 0 <= edit.start < edit.stop <= record.n_samples:
        raise EditError(f"region {edit.start}-{edit.stop} is outside the record (0-{record.n_samples}).")
    if edit.channel not in record.ecg_channels:
        raise EditError(f"signal {edit.channel} is not an ECG lead of {record.record_name}.")
    if edit.kind in ("freehand", "perturb") and len(edit.samples) != edit.stop - edit.start:
        raise EditError(f"{edit.kind} needs {edit.stop - edit.start} samples, got {len(edit.samples)}.")
    if edit.kind in ("move_beat", "delete_beat", "paste") and not 0 <= edit.beat < len(state.beat_sample):
        raise EditError(f"beat {edit.beat} does not exist (the record has {len(state.beat_sample)}).")
    if edit.kind == "stretch" and edit.value <= 0:
        raise EditError(f"stretch factor must be positive, got {edit.value}.")


def _bridge(segment: np.ndarray) -> np.ndarray:
    """Return the straight line between the segment's first and last values."""
    return np.linspace(segment[0], segment[-1], len(segment)).astype(segment.dtype)


def _apply(edit: Edit, state: _State, record: EcgRecord) -> _State:
    """Return a new state with `edit` applied; the input state is not modified."""
    signal = state.signal.copy()
    beat_sample = state.beat_sample.copy()
    beat_id = state.beat_id.copy()
    lead = signal[:, edit.channel]
    region = slice(edit.start, edit.stop)
    segment = lead[region].copy()
    middle = float(np.median(segment))

    if edit.kind == "scale":
        lead[region] = middle + edit.value * (segment - middle)
    elif edit.kind == "invert":
        lead[region] = middle - (segment - middle)
    elif edit.kind == "baseline":
        lead[region] = segment + edit.value
    elif edit.kind == "flatten":
        lead[region] = _bridge(segment)
    elif edit.kind == "smooth":
        width = max(1, int(edit.value)) | 1
        padded = np.pad(segment, width // 2, mode="edge")
        lead[region] = np.convolve(padded, np.ones(width) / width, mode="valid")
    elif edit.kind == "noise":
        lead[region] = segment + np.random.default_rng(edit.seed).normal(0.0, edit.value, len(segment))
    elif edit.kind == "stretch":
        centre = (len(segment) - 1) / 2
        positions = centre + (np.arange(len(segment)) - centre) / edit.value
        lead[region] = np.interp(positions, np.arange(len(segment)), segment)
    elif edit.kind == "paste":
        # Align the source beat's R peak with that of the beat nearest the region's centre.
        centre = (edit.start + edit.stop) // 2
        target = int(beat_sample[np.argmin(np.abs(beat_sample - centre))])
        first = int(beat_sample[edit.beat]) + edit.start - target
        if first < 0 or first + len(segment) > len(lead):
            raise EditError(f"beat {edit.beat} is too close to the record's end to copy its shape.")
        shape = lead[first : first + len(segment)].copy()
        # Match the region's ends so the pasted shape joins the signal without a step.
        lead[region] = shape - _bridge(shape) + _bridge(segment)
    elif edit.kind == "freehand":
        lead[region] = np.asarray(edit.samples, dtype=lead.dtype)
    elif edit.kind == "perturb":
        lead[region] = segment + np.asarray(edit.samples, dtype=lead.dtype)
    elif edit.kind == "move_beat":
        shift = int(edit.value)
        destination = slice(edit.start + shift, edit.stop + shift)
        if destination.start < 0 or destination.stop > len(lead):
            raise EditError(f"moving beat {edit.beat} by {shift} samples leaves the record.")
        covered = slice(min(edit.start, destination.start), max(edit.stop, destination.stop))
        lead[covered] = _bridge(lead[covered].copy())
        lead[destination] = segment - _bridge(segment) + _bridge(lead[destination].copy())
        beat_sample[edit.beat] += shift
        order = np.argsort(beat_sample, kind="stable")
        beat_sample, beat_id = beat_sample[order], beat_id[order]
    elif edit.kind == "delete_beat":
        lead[region] = _bridge(segment)
        beat_sample = np.delete(beat_sample, edit.beat)
        beat_id = np.delete(beat_id, edit.beat)

    return _State(signal=signal, beat_sample=beat_sample, beat_id=beat_id)


MAX_STATE_CHANGE_BEATS = 64
"""Maximum number of beats in one `state_change`. Beyond it, only the first in record order are kept."""


@dataclass
class StateChange:
    """Neuron states of the original and the edited signal over a stretch of the record.

    Each column is one model-rate sample and takes the state of the beat whose
    R peak is nearest, as in the record's state track. Columns that no beat
    window covers in one of the two signals are NaN.
    """

    state_sample: np.ndarray
    """int64 (n_columns,): record sample of each column, at the record's fs."""
    original: np.ndarray
    """float32 (n_columns, n_neurons): states for the original signal."""
    edited: np.ndarray
    """float32 (n_columns, n_neurons): states for the edited signal."""

    @property
    def difference(self) -> np.ndarray:
        """float32 (n_columns, n_neurons): edited minus original."""
        return self.edited - self.original


def state_change(session: EditSession, beats: np.ndarray) -> StateChange | None:
    """Compute the neuron states around `beats` (current indices) for the original and the edited signal.

    The stretch runs from the first to the last of these beats' input windows.
    Both signals are classified again over it, with the beats each signal has
    there, so a moved or deleted beat shows as the change it causes. Returns
    None when `beats` is empty.
    """
    beats = np.unique(np.asarray(beats, dtype=np.int64))
    if beats.size == 0:
        return None
    beats = beats[:MAX_STATE_CHANGE_BEATS]
    window = session.classifier.input_config.window_length
    span_start = int(session.inputs.window_start[beats[0]])
    span_stop = int(session.inputs.window_start[beats[-1]]) + window

    original = _span_states(session, session.original_inputs, span_start, span_stop)
    edited = _span_states(session, session.inputs, span_start, span_stop)
    columns = np.arange(span_start, span_stop)
    state_sample = np.round(columns * (session.record.fs / session.classifier.input_config.model_fs))
    return StateChange(state_sample=state_sample.astype(np.int64), original=original, edited=edited)


def _span_states(session: EditSession, inputs: BeatInputs, span_start: int, span_stop: int) -> np.ndarray:
    """Return the stitched states (span_stop - span_start, n_neurons) of the beats whose windows overlap the span."""
    config = session.classifier.input_config
    overlapping = (inputs.window_start + config.window_length > span_start) & (inputs.window_start < span_stop)
    indices = np.flatnonzero(overlapping)
    _, beat_states = predict_beats(
        session.classifier, _subset(inputs, indices), batch_size=_batch_size(len(indices))
    )

    n_neurons = beat_states.shape[2]
    track = np.full((span_stop - span_start, n_neurons), np.nan, dtype=np.float32)
    if len(indices):
        # place_beat_states splits overlapping windows at the midpoints between R peaks.
        place_beat_states(
            track,
            beat_states,
            0,
            inputs.window_start[indices] - span_start,
            config.samples_before,
            span_stop - span_start,
            step=1,
        )
    return track


def save_counterfactual(session: EditSession, folder: Path, record_name: str | None = None) -> Path:
    """Write the edited record as a new WFDB record (signal, beats, edit list) and return its header path.

    The record's own folder is refused, so a source file can never be overwritten.
    """
    folder = Path(folder)
    record = session.record
    if folder.resolve() == record.header_path.parent.resolve():
        raise EditError(f"{folder}: choose another folder than the source record's.")
    folder.mkdir(parents=True, exist_ok=True)
    name = record_name or f"{record.record_name}_counterfactual"

    comments = [f"{COUNTERFACTUAL_COMMENT_PREFIX} {record.record_name} made with Liquid ECG"]
    comments += [f"edit {number}: {edit.describe()}" for number, edit in enumerate(session.edits, start=1)]
    # The source's own comments (age, sex, medication, remarks) stay with the signal.
    comments += [f"source record: {comment}" for comment in record.comments]
    wfdb.wrsamp(
        name,
        fs=record.fs,
        units=["mV" if index in record.ecg_channels else unit for index, unit in enumerate(record.units)],
        sig_name=record.sig_name,
        p_signal=session.signal.astype(np.float64),
        fmt=["16"] * session.signal.shape[1],
        comments=comments,
        write_dir=str(folder),
    )

    reference = record.beats.symbol[session.beat_id] if record.beats.source == "reference" else None
    symbols = list(reference) if reference is not None else [AAMI_TO_SYMBOL["Q"]] * len(session.beat_id)
    if len(session.beat_sample):
        wfdb.wrann(name, "atr", session.beat_sample, symbols, write_dir=str(folder), fs=record.fs)
    return folder / f"{name}.hea"
