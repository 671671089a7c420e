"""Train the LTC beat classifier on DS1 of the MIT-BIH inter-patient split.

    python -m model.train [--epochs 60] [--seeds 1 2 3] [--out resources/ltc_beat_classifier.eqx]
    python -m model.train --epochs 30 --seeds 1 --offsets-from runs/ds1_protocol/NAME.npz [...]

The first form holds out five DS1 validation records: the epoch and seed with
the best validation score are kept, and per-class logit offsets are tuned on
the same records. The second trains on all of DS1 for a fixed number of
epochs, the number that `benchmarks/ds1_protocol.py` ran. Its logit offsets
come from that protocol's held-out logits, and only if offsets tuned on four
folds raised the fifth fold's score there. Every DS1 record helps train, and
no choice rests on the model's own training beats. DS2 is never read here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from model.baseline import RecurrentClassifier, RecurrentConfig
from model.classifier import BeatClassifier, SolverConfig, count_parameters
from model.data_paths import DS1_RECORDS, require_data_dir
from model.dataset import BeatSet, add_noise, load_beat_set, load_noise
from model.metrics import class_statistics, confusion_matrix, selection_score
from model.preprocess import InputConfig
from model.records import AAMI_CLASSES
from model.weights import DEFAULT_WEIGHTS, save_classifier
from model.wiring import WiringConfig

logger = logging.getLogger(__name__)

VALIDATION_RECORDS = ("101", "114", "124", "220", "223")
"""DS1 records held out for model selection: together they carry S, V and F beats."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=60, help="passes over the balanced epoch sample")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="one model is trained per seed")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--learning-rate", type=float, default=5e-3, help="peak Adam learning rate")
    parser.add_argument("--normal-per-epoch", type=int, default=12000, help="N beats drawn per epoch")
    parser.add_argument(
        "--architecture",
        choices=["ltc", "gru", "lstm"],
        default="ltc",
        help="ltc (the product's network) or a gru/lstm baseline on the same inputs",
    )
    parser.add_argument(
        "--no-template", action="store_true", help="leave out the difference-from-dominant-beat channel"
    )
    parser.add_argument(
        "--no-irregularity", action="store_true", help="leave out the RR irregularity feature"
    )
    parser.add_argument(
        "--irregularity-statistic",
        choices=["mean", "median"],
        default="mean",
        help="summary of the RR jumps around each beat that forms the irregularity feature",
    )
    parser.add_argument(
        "--template-beats",
        type=int,
        default=InputConfig.template_beats,
        help="consecutive beats whose median window is the dominant beat",
    )
    parser.add_argument(
        "--morphology",
        action="store_true",
        help="add five scalar comparisons of the QRS with the dominant beat (model.morphology)",
    )
    parser.add_argument(
        "--class-weight-power",
        type=float,
        default=0.5,
        help="loss weight of a class is (1 / its frequency) to this power: 0 unweighted, 1 fully balanced",
    )
    parser.add_argument(
        "--rhythm-swap",
        type=float,
        default=0.0,
        help="fraction of N and V training beats given the RR features of a random V or N beat",
    )
    parser.add_argument("--hidden", type=int, default=256, help="units of the gru/lstm baseline")
    parser.add_argument("--solver", default="fused", help="fused, euler, heun or tsit5")
    parser.add_argument("--steps-per-sample", type=int, default=2, help="solver steps per input sample")
    parser.add_argument("--validation", nargs="+", default=list(VALIDATION_RECORDS))
    parser.add_argument(
        "--offsets-from",
        type=Path,
        nargs="+",
        metavar="NPZ",
        help="train on all of DS1 with no validation records and tune the logit offsets on the "
        "held-out logits of these benchmarks/ds1_protocol.py runs (made with the same inputs)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS, help="weights file to write")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def class_weights(labels: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Loss weights proportional to (1/class frequency)**power, Q capped at F's weight.

    Q has 8 beats in DS1, too few to weight by frequency.
    """
    counts = np.bincount(labels, minlength=len(AAMI_CLASSES)).astype(np.float64)
    weights = np.where(counts > 0, (counts.sum() / np.maximum(counts, 1)) ** power, 0.0)
    q, f = AAMI_CLASSES.index("Q"), AAMI_CLASSES.index("F")
    weights[q] = min(weights[q], weights[f])
    return (weights / weights[labels].mean()).astype(np.float32)


def weighted_loss(model, ecg, rr, template, labels, weights):
    logits, _ = model(ecg, rr, template)
    log_probabilities = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(log_probabilities, labels[:, None], axis=1)[:, 0]
    return -jnp.mean(weights[labels] * picked)


@eqx.filter_jit
def train_step(model, optimizer_state, optimizer, ecg, rr, template, labels, weights):
    loss, grads = eqx.filter_value_and_grad(weighted_loss)(model, ecg, rr, template, labels, weights)
    updates, optimizer_state = optimizer.update(grads, optimizer_state, eqx.filter(model, eqx.is_array))
    model = eqx.apply_updates(model, updates)
    return model, optimizer_state, loss


@eqx.filter_jit
def predict_logits(model, ecg, rr, template):
    return model(ecg, rr, template)[0]


def logits_for(model: BeatClassifier, beats: BeatSet, batch_size: int) -> np.ndarray:
    outputs = []
    for start in range(0, len(beats), batch_size):
        ecg = np.zeros((batch_size, beats.ecg.shape[1]), dtype=np.float32)
        template = np.zeros_like(ecg)
        rr = np.zeros((batch_size, beats.rr.shape[1]), dtype=np.float32)
        stop = min(start + batch_size, len(beats))
        ecg[: stop - start] = beats.ecg[start:stop]
        template[: stop - start] = beats.template[start:stop]
        rr[: stop - start] = beats.rr[start:stop]
        logits = predict_logits(model, jnp.asarray(ecg), jnp.asarray(rr), jnp.asarray(template))
        outputs.append(np.asarray(logits)[: stop - start])
    return np.concatenate(outputs)


def tune_logit_offsets(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Coordinate search for per-class offsets added to the logits, maximising the selection score."""
    offsets = np.zeros(len(AAMI_CLASSES), dtype=np.float32)
    grid = np.arange(-3.0, 3.01, 0.25)
    best = selection_score(confusion_matrix(labels, np.argmax(logits, axis=1)))
    for _ in range(2):
        for index, name in enumerate(AAMI_CLASSES):
            if name in ("N", "Q"):
                continue
            for value in grid:
                trial = offsets.copy()
                trial[index] = value
                score = selection_score(confusion_matrix(labels, np.argmax(logits + trial, axis=1)))
                if score > best + 1e-9:
                    best, offsets = score, trial
    return offsets


def add_logit_offsets(model, offsets: np.ndarray):
    """Fold per-class logit offsets into the readout bias, so the saved model applies them."""
    if isinstance(model, RecurrentClassifier):
        return eqx.tree_at(lambda m: m.readout.bias, model, model.readout.bias + jnp.asarray(offsets))
    return eqx.tree_at(lambda m: m.readout_b, model, model.readout_b + jnp.asarray(offsets))


def epoch_indices(labels: np.ndarray, normal_per_epoch: int, rng: np.random.Generator) -> np.ndarray:
    """Return all non-N beats plus a fresh random draw of N beats, shuffled."""
    normal = np.flatnonzero(labels == AAMI_CLASSES.index("N"))
    other = np.flatnonzero(labels != AAMI_CLASSES.index("N"))
    drawn = rng.choice(normal, size=min(normal_per_epoch, len(normal)), replace=False)
    indices = np.concatenate([drawn, other])
    rng.shuffle(indices)
    return indices


def augment(
    ecg: np.ndarray, template: np.ndarray, noise_tracks: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Scale beat and template alike (x0.75-1.25); add real noise at 6-30 dB SNR to half the beats.

    The template is a median over hundreds of beats, so noise reaches the beat only.
    """
    gain = rng.uniform(0.75, 1.25, size=(len(ecg), 1)).astype(np.float32)
    scaled = ecg * gain
    noisy_mask = rng.random(len(ecg)) < 0.5
    if noisy_mask.any():
        snr_db = rng.uniform(6.0, 30.0, size=int(noisy_mask.sum()))
        scaled[noisy_mask] = add_noise(scaled[noisy_mask], noise_tracks, snr_db, rng)
    return scaled.astype(np.float32), (template * gain).astype(np.float32)


def swap_rhythm(
    rr: np.ndarray, labels: np.ndarray, donors: dict[int, np.ndarray], fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Give a `fraction` of N beats the RR features of a random V beat, and of V beats those of an N beat.

    The shape of the QRS, not its timing, then has to tell N from V: in atrial
    fibrillation normal beats come early, and some ventricular beats come on time.
    `donors` maps a class index to the RR features of that class's training beats.
    """
    if fraction <= 0.0:
        return rr
    swapped = rr.copy()
    n_index, v_index = AAMI_CLASSES.index("N"), AAMI_CLASSES.index("V")
    for own, donor in ((n_index, v_index), (v_index, n_index)):
        chosen = np.flatnonzero((labels == own) & (rng.random(len(labels)) < fraction))
        if len(chosen) and len(donors[donor]):
            swapped[chosen] = donors[donor][rng.integers(len(donors[donor]), size=len(chosen))]
    return swapped


def input_config_from(args: argparse.Namespace) -> InputConfig:
    return InputConfig(
        template_channel=not args.no_template,
        rhythm_irregularity=not args.no_irregularity,
        irregularity_statistic=args.irregularity_statistic,
        morphology_features=args.morphology,
        template_beats=args.template_beats,
    )


def train_one_seed(
    seed: int,
    args: argparse.Namespace,
    train_set: BeatSet,
    validation_set: BeatSet | None,
    noise_tracks: list[np.ndarray],
    solver_config: SolverConfig,
) -> tuple[BeatClassifier, float, dict]:
    """Train one model; returns the best-validation model, its score and a history summary.

    Without a validation set the model after the last epoch is returned, with a NaN score.
    """
    rng = np.random.default_rng(seed)
    input_config = input_config_from(args)
    if args.architecture == "ltc":
        wiring_config = WiringConfig(
            n_inputs=input_config.n_ecg_channels + input_config.n_scalar_inputs,
            n_ecg_inputs=input_config.n_ecg_channels,
        )
        model = BeatClassifier(input_config, wiring_config, solver_config, key=jax.random.PRNGKey(seed))
    else:
        recurrent_config = RecurrentConfig(args.architecture, args.hidden)
        model = RecurrentClassifier(input_config, recurrent_config, key=jax.random.PRNGKey(seed))
    steps_per_epoch = (args.normal_per_epoch + int((train_set.label != 0).sum())) // args.batch_size
    total_steps = args.epochs * steps_per_epoch
    schedule = optax.warmup_cosine_decay_schedule(
        0.0, args.learning_rate, max(1, total_steps // 20), total_steps, args.learning_rate / 20
    )
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(schedule))
    optimizer_state = optimizer.init(eqx.filter(model, eqx.is_array))

    donors = {index: train_set.rr[train_set.label == index] for index in range(len(AAMI_CLASSES))}
    best_model, best_score, best_epoch = model, -1.0, -1
    started = time.monotonic()
    for epoch in range(args.epochs):
        indices = epoch_indices(train_set.label, args.normal_per_epoch, rng)
        weights = jnp.asarray(class_weights(train_set.label[indices], args.class_weight_power))
        losses = []
        for start in range(0, len(indices) - args.batch_size + 1, args.batch_size):
            batch = indices[start : start + args.batch_size]
            ecg, template = augment(train_set.ecg[batch], train_set.template[batch], noise_tracks, rng)
            rr = swap_rhythm(train_set.rr[batch], train_set.label[batch], donors, args.rhythm_swap, rng)
            model, optimizer_state, loss = train_step(
                model,
                optimizer_state,
                optimizer,
                jnp.asarray(ecg),
                jnp.asarray(rr),
                jnp.asarray(template),
                jnp.asarray(train_set.label[batch].astype(np.int32)),
                weights,
            )
            losses.append(float(loss))

        elapsed = time.monotonic() - started
        remaining = elapsed / (epoch + 1) * (args.epochs - epoch - 1)
        if validation_set is None:
            best_model, best_score, best_epoch = model, float("nan"), epoch
            logger.info(
                "seed %d epoch %d/%d loss %.4f elapsed %.0f s, about %.0f s left",
                seed, epoch + 1, args.epochs, np.mean(losses), elapsed, remaining,
            )
            continue

        logits = logits_for(model, validation_set, 512)
        counts = confusion_matrix(validation_set.label, np.argmax(logits, axis=1))
        score = selection_score(counts)
        if score > best_score:
            best_model, best_score, best_epoch = model, score, epoch
        stats = class_statistics(counts)
        logger.info(
            "seed %d epoch %d/%d loss %.4f val score %.3f (S Se %.0f +P %.0f, V Se %.0f +P %.0f) "
            "elapsed %.0f s, about %.0f s left",
            seed, epoch + 1, args.epochs, np.mean(losses), score,
            stats["S"]["se"], stats["S"]["ppv"], stats["V"]["se"], stats["V"]["ppv"],
            elapsed, remaining,
        )

    return best_model, best_score, {"seed": seed, "best_epoch": best_epoch + 1, "train_s": time.monotonic() - started}


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass
class HeldOutLogits:
    """Held-out predictions of `benchmarks/ds1_protocol.py` runs on every DS1 beat, pooled."""

    log_probabilities: np.ndarray
    """float64 (n_beats, classes): log of the runs' mean class probabilities."""
    label: np.ndarray
    fold: np.ndarray
    """int8 (n_beats,): the fold whose model did not see each beat."""
    options: list[list[str]]
    """The training options of each run."""
    seconds: float
    """Training time of all the runs together."""


def load_held_out(paths: list[Path]) -> HeldOutLogits:
    """Average the class probabilities of protocol runs made on the same beats and folds."""
    runs = [np.load(path) for path in paths]
    label, fold = runs[0]["label"], runs[0]["fold"]
    for path, other in zip(paths[1:], runs[1:]):
        if not (np.array_equal(other["label"], label) and np.array_equal(other["fold"], fold)):
            raise ValueError(
                f"{path} was made on other beats or folds than {paths[0]}, so they cannot be pooled: "
                "pass runs of the same DS1 protocol."
            )
    probabilities = np.mean([np.exp(log_softmax(run["logits"].astype(np.float64))) for run in runs], axis=0)
    return HeldOutLogits(
        log_probabilities=np.log(np.maximum(probabilities, 1e-12)),
        label=label,
        fold=fold,
        options=[json.loads(str(run["options"])) for run in runs],
        seconds=float(sum(float(run["seconds"]) for run in runs)),
    )


def cross_fitted_predictions(held_out: HeldOutLogits) -> np.ndarray:
    """Predict each fold with logit offsets tuned on the held-out predictions of the other folds."""
    predicted = np.zeros(len(held_out.label), dtype=np.int64)
    for fold_index in np.unique(held_out.fold):
        inside = held_out.fold == fold_index
        offsets = tune_logit_offsets(held_out.log_probabilities[~inside], held_out.label[~inside])
        predicted[inside] = np.argmax(held_out.log_probabilities[inside] + offsets, axis=1)
    return predicted


def held_out_offsets(held_out: HeldOutLogits) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return (offsets, held-out confusion, whether offsets are used) for a model trained on all of DS1.

    Offsets are kept only if, tuned on four folds, they raise the fifth
    fold's score in the pooled held-out predictions. Otherwise they fit
    the records they were tuned on and not others, and zeros are returned.
    """
    plain = confusion_matrix(held_out.label, np.argmax(held_out.log_probabilities, axis=1))
    fitted = confusion_matrix(held_out.label, cross_fitted_predictions(held_out))
    if selection_score(fitted) > selection_score(plain):
        return tune_logit_offsets(held_out.log_probabilities, held_out.label), fitted, True
    return np.zeros(len(AAMI_CLASSES), dtype=np.float32), plain, False


def _check_protocol_inputs(held_out: HeldOutLogits, paths: list[Path], input_config: InputConfig) -> None:
    for path, options in zip(paths, held_out.options):
        if input_config_from(parse_args(options)) != input_config:
            raise ValueError(
                f"{path} was made with other inputs ({' '.join(options)}); "
                "its offsets do not fit this model. Pass the same input options."
            )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")
    data_dir = require_data_dir()
    input_config = input_config_from(args)
    solver_config = SolverConfig(args.solver, args.steps_per_sample)

    held_out = None
    if args.offsets_from:
        if len(args.seeds) != 1:
            raise SystemExit("--offsets-from trains one model on all of DS1: give one seed.")
        held_out = load_held_out(args.offsets_from)
        _check_protocol_inputs(held_out, args.offsets_from, input_config)
        args.validation = []

    train_records = [name for name in DS1_RECORDS if name not in args.validation]
    logger.info("loading %d training and %d validation records", len(train_records), len(args.validation))
    train_set = load_beat_set(train_records, data_dir / "mitdb", input_config)
    validation_set = load_beat_set(list(args.validation), data_dir / "mitdb", input_config) if args.validation else None
    noise_tracks = load_noise(data_dir / "nstdb-noise", input_config)
    logger.info("training beats per class %s", np.bincount(train_set.label, minlength=5).tolist())

    started = time.monotonic()
    results = [
        train_one_seed(seed, args, train_set, validation_set, noise_tracks, solver_config)
        for seed in args.seeds
    ]
    model, score, history = max(results, key=lambda result: -np.inf if np.isnan(result[1]) else result[1])

    if held_out is not None:
        offsets, counts, use = held_out_offsets(held_out)
        validation = {
            "method": (
                "5-fold record-wise cross-validation inside DS1 (benchmarks/ds1_protocol.py); "
                + (
                    "each fold scored with offsets tuned on the other four"
                    if use
                    else "offsets tuned on four folds lowered the fifth fold's score, so none are applied"
                )
            ),
            "protocol_runs": [path.name for path in args.offsets_from],
        }
        logger.info("logit offsets %s from %d protocol runs", offsets.tolist(), len(args.offsets_from))
    else:
        logger.info("best seed %d (validation score %.3f)", history["seed"], score)
        logits = logits_for(model, validation_set, 512)
        offsets = tune_logit_offsets(logits, validation_set.label)
        counts = confusion_matrix(validation_set.label, np.argmax(logits + offsets, axis=1))
        validation = {"method": "held-out DS1 records " + " ".join(args.validation)}
    model = add_logit_offsets(model, offsets)
    logger.info("logit offsets %s, validation score %.3f", offsets.tolist(), selection_score(counts))

    card = {
        "name": "Liquid ECG LTC beat classifier" if args.architecture == "ltc" else f"{args.architecture.upper()} baseline",
        "intended_use": (
            "Decision support for reviewing heartbeat labels of ECG records; "
            "not a diagnosis and not for unattended use."
        ),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "parameters": count_parameters(model),
        "training": {
            "database": "MIT-BIH Arrhythmia Database 1.0.0 (PhysioNet)",
            "split": "inter-patient, de Chazal et al. 2004: trained on DS1 only",
            "train_records": train_records,
            "validation_records": list(args.validation),
            "noise": "NSTDB bw and ma, 6-30 dB SNR on half of the beats",
            "epochs": args.epochs,
            "seeds_tried": list(args.seeds),
            "chosen": history,
            "seed_scores": [None if np.isnan(result[1]) else round(result[1], 4) for result in results],
            "learning_rate": args.learning_rate,
            "batch_size": args.batch_size,
            "normal_per_epoch": args.normal_per_epoch,
            "class_weight_power": args.class_weight_power,
            "rhythm_swap": args.rhythm_swap,
            "logit_offsets": [round(float(v), 3) for v in offsets],
            "training_time_s": round(time.monotonic() - started, 1),
        },
        "validation": {
            **validation,
            "score_mean_f1_nsv": round(selection_score(counts), 4),
            "confusion": counts.tolist(),
            "per_class": class_statistics(counts),
        },
    }
    save_classifier(model, args.out, card)
    logger.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
