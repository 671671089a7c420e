"""Render the JSON model card as the Markdown page that ships beside the weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.metrics import format_report
from model.preprocess import InputConfig
from model.atomic_io import atomic_write


def render_model_card(card: dict) -> str:
    """Return the model card as Markdown: intended use, network, data, metrics, checksum."""
    training = card["training"]
    wiring = card["wiring_config"]
    solver = card["solver_config"]
    inputs = card["input_config"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"Created {card['created']}. Weights `{card['weights_file']}`, "
        f"SHA-256 `{card['weights_sha256']}` (checked at every load).",
        "",
        "## Intended use",
        "",
        card["intended_use"],
        "",
        "## Network",
        "",
        f"- {wiring['n_inter'] + wiring['n_command'] + wiring['n_motor']} LTC neurons "
        f"(Hasani et al., AAAI 2021) in a sparse NCP wiring (Lechner et al. 2020): "
        f"{wiring['n_inter']} inter, {wiring['n_command']} command, {wiring['n_motor']} motor "
        f"(one per AAMI class), wiring seed {wiring['seed']}.",
        f"- {card['parameters']} trainable parameters.",
        f"- Solver: `{solver['name']}` with {solver['steps_per_sample']} steps per input sample (diffrax).",
        f"- Inputs: one ECG lead band-passed {inputs['band_low_hz']}-{inputs['band_high_hz']} Hz, "
        f"normalised to the record's median QRS amplitude, resampled to {inputs['model_fs']:g} Hz, "
        f"window {inputs['window_before_s']} s before to {inputs['window_after_s']} s after the R peak"
        + (", plus its first difference" if inputs.get("derivative_channel") else "")
        + (" and its difference from the record's dominant beat" if inputs.get("template_channel") else "")
        + "; five RR features (log ratios of previous, next and local RR to the patient's mean RR)"
        + (
            f", plus RR irregularity (the {inputs.get('irregularity_statistic', 'mean')} of "
            f"|log RR jump| over {inputs.get('irregularity_beats', InputConfig.irregularity_beats)} beats)."
            if inputs.get("rhythm_irregularity")
            else "."
        )
        + (
            " Five comparisons of the QRS with the dominant beat (shape distance, difference "
            "energy, width and size ratios, pre-QRS difference) are computed inside the network."
            if inputs.get("morphology_features")
            else ""
        ),
        "",
        "## Training data",
        "",
        f"- {training['database']}; {training['split']}.",
        f"- Training records: {' '.join(training['train_records'])}.",
        _selection_line(card),
        f"- Augmentation: random amplitude x0.75-1.25; {training['noise']}"
        + (
            f"; {100 * training['rhythm_swap']:g} % of N and V beats get the RR features of a random V or N beat."
            if training.get("rhythm_swap")
            else "."
        ),
        f"- Loss weight of each class: (1 / its frequency) to the power "
        f"{training.get('class_weight_power', 0.5):g}.",
        f"- {training['epochs']} epochs, seeds {training['seeds_tried']} (kept: seed "
        f"{training['chosen']['seed']}, epoch {training['chosen']['best_epoch']}); "
        f"training took {training['training_time_s'] / 60:.1f} min on a 2-core CPU.",
        "",
        "## Performance",
        "",
    ]
    if "ds2" in card:
        ds2 = card["ds2"]
        lines.append(
            format_report(
                np.asarray(ds2["confusion"]),
                f"MIT-BIH DS2 ({len(ds2['records'])} records, never used for selection)",
            )
        )
    validation_title = (
        "DS1 validation records (used for selection)"
        if training["validation_records"]
        else "DS1, 5-fold cross-validation (each beat predicted by a model that did not train on its record)"
    )
    lines.append(format_report(np.asarray(card["validation"]["confusion"]), validation_title))
    lines += [
        "## Limits",
        "",
        "- Trained on 17 patients of one database recorded in the 1970s at 360 Hz; "
        "performance on other populations, leads and devices is not established.",
        "- F and Q beats are rare in DS1 (about 400 and 8); the network does not recognise them.",
        "- S detection depends on RR features: atrial fibrillation and other irregular rhythms "
        "produce false S and V labels.",
        "- DS2 was scored for five finished models (four LTC input designs and a GRU "
        "baseline). The first model's errors on record 232 led to the patient baseline RR "
        "being a mean instead of a median, so one design choice was informed by DS2; no epochs "
        "or thresholds were chosen on it.",
        "- A later input design (each beat's difference from the record's dominant beat, plus the "
        "mean RR irregularity) won a 3-fold DS1 screen but scored S Se 33.9 % on DS2, because the "
        "sinus pauses of record 232 made its rhythm look irregular. The median irregularity was "
        "proposed after seeing that failure, so it is a design idea informed by DS2.",
        "- The current design was chosen among five by 5-fold cross-validation inside DS1 before "
        "DS2 was read, and DS2 was read once for these weights (docs/benchmarks.md).",
        "",
    ]
    return "\n".join(lines)


def _selection_line(card: dict) -> str:
    training, validation = card["training"], card["validation"]
    if training["validation_records"]:
        return (
            "- Validation records (model selection and logit offsets): "
            f"{' '.join(training['validation_records'])}."
        )
    return (
        f"- Selection: {validation['method']}. The epoch count was fixed in advance, and the logit "
        f"offsets were tuned on the pooled held-out logits of {', '.join(validation['protocol_runs'])}."
    )


def write_model_card_markdown(card: dict, weights_path: Path) -> Path:
    """Write MODEL_CARD.md beside the weights and return its path."""
    path = Path(weights_path).with_name("MODEL_CARD.md")
    atomic_write(path, render_model_card(card).encode())
    return path
