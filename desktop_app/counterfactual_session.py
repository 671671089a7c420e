"""The counterfactual edit session of the shown record, kept for the model job thread.

`EditSessionHolder` owns one `model.counterfactual.EditSession`. Its methods
run only inside `ModelJobRunner` jobs, one at a time, and return
`SessionSnapshot`s: plain numpy copies that the GUI thread draws without ever
touching the session. The window requests edits with `EditRequest`, which
names beats by their index in the record, so a request stays valid however
earlier edits moved or deleted beats.

This module imports neither Qt nor JAX: `model.counterfactual` (which imports
JAX) is imported inside the methods, on the job thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from model.counterfactual import EditSession, StateChange
    from model.records import EcgRecord

logger = logging.getLogger(__name__)

PROBABILITY_CHANGE_SHOWN = 1e-3
"""Beats whose class probabilities moved by less than this are left out of the changed-beat list.

Deleting or moving a beat shifts the mean RR that about 300 neighbours are compared with,
so they are classified again, but their probabilities move by less than this.
"""
WINDOW_CHANGE = 1e-4
"""A beat's input window counts as edited when a normalised sample moved by more than this."""


@dataclass(frozen=True)
class EditRequest:
    """An edit as the user asked for it, resolved against the session when the job runs.

    `start` and `stop` are samples at the record's fs, `channel` is the signal
    index. Move and delete act on the beat nearest the region's centre. Paste
    copies the shape of `source_beat`, an index into the record's beats.
    `value` and `samples` mean what they mean in `model.counterfactual.Edit`.
    """

    kind: str
    start: int
    stop: int
    channel: int
    value: float = 0.0
    source_beat: int = -1
    samples: tuple[float, ...] = ()
    seed: int = 0


@dataclass
class ChannelSpan:
    """A stretch of one signal where the edited signal may differ from the original."""

    channel: int
    start: int
    """First sample, at the record's fs."""
    original_mv: np.ndarray
    """float32: the recorded samples from `start` on."""
    edited_mv: np.ndarray
    """float32: the edited samples from `start` on, as many as `original_mv`."""


@dataclass(frozen=True)
class EditSummary:
    """One applied edit, with its beat named by its index among the record's beats."""

    kind: str
    channel: int
    start: int
    stop: int
    """[start, stop) in samples at the record's fs."""
    value: float
    beat: int
    """Record beat moved, deleted or copied by paste; -1 for other edits."""
    max_change_mv: float
    """Largest |edited - original| the edit wrote, in mV (perturb and freehand edits)."""


@dataclass
class SessionSnapshot:
    """Copies of the session's state after a job, for the GUI thread to draw."""

    edit_descriptions: list[str]
    """`Edit.describe()` of each edit, in order, as written into a saved record's header."""
    edit_summaries: list[EditSummary]
    redo_count: int
    spans: list[ChannelSpan]
    beat_sample: np.ndarray
    """int64 (n_beats,): the edited beat positions, at the record's fs."""
    beat_id: np.ndarray
    """int64 (n_beats,): for each edited beat, its index among the record's beats."""
    probabilities: np.ndarray
    """float32 (n_beats, 5): class probabilities of the edited signal, AAMI order."""
    changed_beats: np.ndarray
    """int64: edited beats whose probabilities or positions differ from the recorded signal's."""
    original_probabilities: np.ndarray
    """float32 (n_beats of the record, 5): class probabilities of the recorded signal."""
    deleted_beats: np.ndarray
    """int64: record beats that the edits deleted."""
    elapsed_s: float | None = None
    """Time the session took to re-classify after the last apply, undo or redo; None for other jobs."""
    reclassified_count: int = 0
    """Beats classified again by the last apply, undo or redo."""

    @property
    def edit_count(self) -> int:
        return len(self.edit_descriptions)


@dataclass
class SearchReport:
    """Outcome of a counterfactual search, in the units the window shows."""

    found: bool
    cancelled: bool
    message: str
    rms_change_mv: float = 0.0
    max_change_mv: float = 0.0
    iterations: int = 0
    target_probability: float = float("nan")
    """Probability of the target class for the beat after the change, when one was found."""


@dataclass
class EditSessionHolder:
    """The edit session of one record; every method runs in the model job thread.

    The session is created on first use, because it classifies every beat of
    the record once.
    """

    record: EcgRecord
    load_classifier: Callable[[], Any]
    _session: EditSession | None = field(default=None, init=False)

    def session(self) -> EditSession:
        if self._session is None:
            from model.counterfactual import EditSession

            self._session = EditSession(self.record, self.load_classifier())
        return self._session

    def prepare(self) -> SessionSnapshot:
        """Create the session and compile the network for edits, so the first edit is quick."""
        self.session().warm_up()
        return self.snapshot()

    def apply(self, request: EditRequest) -> SessionSnapshot:
        """Apply `request` and return the new state; raises `EditError` for an edit that cannot apply."""
        session = self.session()
        result = session.apply(self._resolve(request, session))
        return self.snapshot(result.elapsed_s, len(result.beats))

    def undo(self) -> SessionSnapshot:
        result = self.session().undo()
        return self.snapshot(*_timing(result))

    def redo(self) -> SessionSnapshot:
        result = self.session().redo()
        return self.snapshot(*_timing(result))

    def reset(self) -> SessionSnapshot:
        result = self.session().reset()
        return self.snapshot(*_timing(result))

    def search(
        self,
        beat: int,
        target_class: int,
        start: int,
        stop: int,
        channel: int,
        bound: float,
        should_cancel: Callable[[], bool] | None = None,
    ) -> tuple[SearchReport, SessionSnapshot]:
        """Search for the smallest change to [start, stop) that makes record beat `beat` the target class."""
        from model.counterfactual_search import search_counterfactual

        session = self.session()
        current = np.flatnonzero(session.beat_id == beat)
        if current.size == 0:
            report = SearchReport(False, False, f"beat {beat + 1} was deleted by an edit; undo that edit first.")
            return report, self.snapshot()

        outcome = search_counterfactual(
            session, int(current[0]), target_class, start, stop, channel=channel, bound=bound, should_cancel=should_cancel
        )
        report = SearchReport(
            found=outcome.found,
            cancelled=outcome.cancelled,
            message=outcome.message,
            rms_change_mv=outcome.rms_change_mv,
            max_change_mv=outcome.max_change_mv,
            iterations=outcome.iterations,
        )
        if outcome.found:
            report.target_probability = float(session.probabilities[int(current[0]), target_class])
        elapsed_s, reclassified = _timing(outcome.result)
        return report, self.snapshot(elapsed_s, reclassified)

    def save(self, folder: Path, record_name: str) -> Path:
        """Write the edited record into `folder`; raises `EditError` for the source record's folder."""
        from model.counterfactual import save_counterfactual

        return save_counterfactual(self.session(), folder, record_name)

    def state_change(self) -> StateChange | None:
        """Return original and edited neuron states around the beats whose input windows the edits changed."""
        from model.counterfactual import state_change

        session = self.session()
        if not session.edits:
            return None
        original_windows = session.original_inputs.ecg[session.beat_id]
        moved = np.abs(session.inputs.ecg - original_windows).max(axis=1) > WINDOW_CHANGE
        return state_change(session, np.flatnonzero(moved))

    def snapshot(self, elapsed_s: float | None = None, reclassified_count: int = 0) -> SessionSnapshot:
        """Copy what the window draws out of the session."""
        session = self.session()
        original_probabilities = session.original_probabilities
        beat_id = session.beat_id.copy()
        probabilities = session.probabilities.copy()

        probability_moved = np.abs(probabilities - original_probabilities[beat_id]).max(axis=1)
        # NaN (unclassifiable beats) compares False, so those beats count as unchanged.
        position_moved = session.beat_sample != self.record.beats.sample[beat_id]
        changed = np.flatnonzero((probability_moved >= PROBABILITY_CHANGE_SHOWN) | position_moved)
        present = np.zeros(len(self.record.beats), dtype=bool)
        present[beat_id] = True
        deleted = np.flatnonzero(~present)

        return SessionSnapshot(
            edit_descriptions=[edit.describe() for edit in session.edits],
            edit_summaries=self._summaries(session),
            redo_count=len(session.redo_stack),
            spans=self._spans(session),
            beat_sample=session.beat_sample.copy(),
            beat_id=beat_id,
            probabilities=probabilities,
            changed_beats=changed,
            original_probabilities=original_probabilities.copy(),
            deleted_beats=deleted,
            elapsed_s=elapsed_s,
            reclassified_count=reclassified_count,
        )

    def _resolve(self, request: EditRequest, session: EditSession) -> Any:
        from model.counterfactual import Edit, EditError

        beat = -1
        if request.kind in ("move_beat", "delete_beat"):
            if len(session.beat_sample) == 0:
                raise EditError(f"{self.record.record_name} has no beats to {request.kind.split('_')[0]}.")
            centre = (request.start + request.stop) / 2
            beat = int(np.argmin(np.abs(session.beat_sample - centre)))
        elif request.kind == "paste":
            current = np.flatnonzero(session.beat_id == request.source_beat)
            if current.size == 0:
                raise EditError(f"beat {request.source_beat + 1} was deleted by an edit, so its shape cannot be pasted.")
            beat = int(current[0])
        return Edit(
            request.kind,
            request.start,
            request.stop,
            request.channel,
            value=request.value,
            beat=beat,
            samples=request.samples,
            seed=request.seed,
        )

    def _summaries(self, session: EditSession) -> list[EditSummary]:
        """Summarise the edits, following each edit's beat index back to the record's beat list.

        An edit's `beat` indexes the beats as they were when it was applied, so
        the moves and deletions before it are replayed here.
        """
        beat_sample = self.record.beats.sample.copy()
        beat_id = np.arange(len(beat_sample))
        summaries = []
        for edit in session.edits:
            beat = int(beat_id[edit.beat]) if 0 <= edit.beat < len(beat_id) else -1
            change = edit.samples if edit.kind == "perturb" else ()
            summaries.append(
                EditSummary(
                    kind=edit.kind,
                    channel=edit.channel,
                    start=edit.start,
                    stop=edit.stop,
                    value=edit.value,
                    beat=beat,
                    max_change_mv=float(np.max(np.abs(change))) if len(change) else 0.0,
                )
            )
            if edit.kind == "move_beat":
                beat_sample[edit.beat] += int(edit.value)
                order = np.argsort(beat_sample, kind="stable")
                beat_sample, beat_id = beat_sample[order], beat_id[order]
            elif edit.kind == "delete_beat":
                beat_sample = np.delete(beat_sample, edit.beat)
                beat_id = np.delete(beat_id, edit.beat)
        return summaries

    def _spans(self, session: EditSession) -> list[ChannelSpan]:
        """Return the merged stretches, per signal, that the current edits wrote to."""
        intervals: dict[int, list[tuple[int, int]]] = {}
        for edit in session.edits:
            start, stop = edit.start, edit.stop
            if edit.kind == "move_beat":
                start, stop = min(start, start + int(edit.value)), max(stop, stop + int(edit.value))
            intervals.setdefault(edit.channel, []).append((max(start, 0), min(stop, self.record.n_samples)))

        spans = []
        for channel, pieces in sorted(intervals.items()):
            for start, stop in _merge(pieces):
                spans.append(
                    ChannelSpan(
                        channel=channel,
                        start=start,
                        original_mv=session.original_signal[start:stop, channel].copy(),
                        edited_mv=session.signal[start:stop, channel].copy(),
                    )
                )
        return spans


def _merge(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping or touching [start, stop) intervals."""
    merged: list[list[int]] = []
    for start, stop in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return [(start, stop) for start, stop in merged]


def _timing(result: Any) -> tuple[float | None, int]:
    """Return the re-classification time and beat count of an `EditResult`, or (None, 0) without one."""
    if result is None:
        return None, 0
    return result.elapsed_s, len(result.beats)
