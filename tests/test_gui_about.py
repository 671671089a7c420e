"""The About box states version, intended use and the measured DS2 performance."""

from __future__ import annotations

import json
import subprocess
import sys

from desktop_app.about import CARD_PATH, about_html, app_version
from desktop_app.main_window import INTENDED_USE


def test_about_states_card_metrics():
    card = json.loads(CARD_PATH.read_text(encoding="utf-8"))
    text = about_html(INTENDED_USE)
    s_stats = card["ds2"]["per_class"]["S"]

    assert app_version() in text
    assert "does not make a diagnosis" in text
    assert f"S {s_stats['se']:.1f} / {s_stats['ppv']:.1f}" in text
    assert card["weights_sha256"][:16] in text
    assert "MODEL_CARD.md" in text
    assert "208" in text


def test_about_does_not_import_jax():
    code = (
        "import sys; from desktop_app.about import about_html; about_html('x'); "
        "print('jax' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
