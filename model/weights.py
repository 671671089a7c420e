"""Save and load classifier weights with their model card.

Weights are stored with equinox's leaf serialisation (no pickle). The model
card is JSON beside them: the configurations needed to rebuild the network,
the data and split it was trained on, its metrics, the date, and the SHA-256
of the weights file, which is checked at every load.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
from pathlib import Path

import equinox as eqx
import jax

from model.atomic_io import atomic_write
from model.baseline import RecurrentClassifier, RecurrentConfig
from model.classifier import BeatClassifier, SolverConfig
from model.data_paths import RESOURCES_DIR
from model.preprocess import InputConfig
from model.wiring import WiringConfig

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = RESOURCES_DIR / "ltc_beat_classifier.eqx"
CARD_SUFFIX = ".card.json"


class WeightsError(Exception):
    """Weights that are missing, altered or do not match their model card."""


def card_path_for(weights_path: Path) -> Path:
    return weights_path.with_name(weights_path.stem + CARD_SUFFIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_json(card: dict) -> bytes:
    """Serialise a model card as strict JSON: NaN (an undefined Se or +P) becomes null."""

    def strict(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {key: strict(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [strict(item) for item in value]
        return value

    return json.dumps(strict(card), indent=2, allow_nan=False).encode() + b"\n"


def save_classifier(model: BeatClassifier | RecurrentClassifier, weights_path: Path, card: dict) -> dict:
    """Write weights and a model card; returns the card with config and SHA-256 filled in."""
    weights_path = Path(weights_path)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, model)
    atomic_write(weights_path, buffer.getvalue())

    full_card = dict(card)
    full_card["input_config"] = model.input_config.to_dict()
    if isinstance(model, RecurrentClassifier):
        full_card["architecture"] = model.recurrent_config.cell
        full_card["recurrent_config"] = model.recurrent_config.to_dict()
    else:
        full_card["architecture"] = "ltc"
        full_card["wiring_config"] = model.wiring_config.to_dict()
        full_card["solver_config"] = model.solver_config.to_dict()
    full_card["weights_file"] = weights_path.name
    full_card["weights_sha256"] = sha256_of(weights_path)
    atomic_write(card_path_for(weights_path), card_json(full_card))
    return full_card


def read_card(weights_path: Path = DEFAULT_WEIGHTS) -> dict:
    card_path = card_path_for(Path(weights_path))
    if not card_path.is_file():
        raise WeightsError(f"{card_path}: model card not found beside the weights.")
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightsError(f"{card_path}: the model card is not valid JSON ({error}).") from error


def load_classifier_file(
    weights_path: Path = DEFAULT_WEIGHTS, solver_config: SolverConfig | None = None
) -> tuple[BeatClassifier, dict]:
    """Load weights after checking their SHA-256 against the model card.

    `solver_config` overrides the card's solver, for solver-sensitivity studies.
    """
    weights_path = Path(weights_path)
    if not weights_path.is_file():
        raise WeightsError(f"{weights_path}: weights file not found.")
    card = read_card(weights_path)

    actual = sha256_of(weights_path)
    if actual != card.get("weights_sha256"):
        raise WeightsError(
            f"{weights_path}: SHA-256 {actual} does not match the model card's "
            f"{card.get('weights_sha256')}; the file is damaged or was replaced."
        )

    # Shapes only: building a real random network first costs a compile per op.
    if card.get("architecture", "ltc") == "ltc":
        skeleton = eqx.filter_eval_shape(
            BeatClassifier,
            InputConfig(**card["input_config"]),
            WiringConfig(**card["wiring_config"]),
            solver_config or SolverConfig(**card["solver_config"]),
            key=jax.random.PRNGKey(0),
        )
    else:
        skeleton = eqx.filter_eval_shape(
            RecurrentClassifier,
            InputConfig(**card["input_config"]),
            RecurrentConfig(**card["recurrent_config"]),
            key=jax.random.PRNGKey(0),
        )
    model = eqx.tree_deserialise_leaves(weights_path, skeleton)
    logger.info("loaded %s (sha256 %s)", weights_path, actual[:12])
    return model, card
