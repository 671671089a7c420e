"""The About box text: version, intended use and the shipped model's measured performance.

It reads the model card JSON directly, because `model.weights` imports JAX and
the About box must open without waiting for it.
"""

from __future__ import annotations

import html
import json
from importlib import metadata

from model.data_paths import RESOURCES_DIR

CARD_PATH = RESOURCES_DIR / "ltc_beat_classifier.card.json"
MODEL_CARD_PAGE = RESOURCES_DIR / "MODEL_CARD.md"


def app_version() -> str:
    try:
        return metadata.version("liquid-ecg")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def about_html(intended_use: str) -> str:
    """Return the About box as rich text; a missing or damaged card is stated, not hidden."""
    lines = [
        f"<p><b>Liquid ECG {html.escape(app_version())}</b></p>",
        f"<p>{html.escape(intended_use)}</p>",
    ]
    try:
        card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        lines.append(f"<p>The model card {html.escape(str(CARD_PATH))} could not be read ({html.escape(str(error))}).</p>")
        return "\n".join(lines)

    lines.append(
        f"<p>Model: {html.escape(card.get('name', 'unknown'))}, {card.get('parameters', '?')} parameters, "
        f"created {html.escape(card.get('created', '?'))}, weights SHA-256 "
        f"{html.escape(card.get('weights_sha256', '?')[:16])}.</p>"
    )
    ds2 = card.get("ds2")
    if ds2:
        cells = []
        for name in ("N", "S", "V", "F"):
            stats = ds2["per_class"][name]
            se = "n/a" if stats["se"] is None else f"{stats['se']:.1f}"
            ppv = "n/a" if stats["ppv"] is None else f"{stats['ppv']:.1f}"
            cells.append(f"{name} {se} / {ppv}")
        lines.append(
            "<p>Measured on MIT-BIH DS2, patients it never saw (sensitivity / positive "
            f"predictivity, %): {'; '.join(cells)}.</p>"
        )
    training = card.get("training", {})
    if training.get("train_records"):
        lines.append(
            "<p>Trained on MIT-BIH records "
            f"{html.escape(' '.join(training['train_records'] + training.get('validation_records', [])))}: "
            "agreement on those records says nothing about accuracy.</p>"
        )
    lines.append(f"<p>Full model card: {html.escape(str(MODEL_CARD_PAGE))}</p>")
    return "\n".join(lines)
