"""Beat letters turn into coloured dots when a wide view would make them overlap, and back when zoomed in."""

from __future__ import annotations

from desktop_app.beat_markers import COMPACT_SIZE_PX, LETTER_SIZE_PX


def symbols(items) -> set[str]:
    """Return the marker kinds in use: "o" for dots, "letter" for the letter glyph paths."""
    return {item.opts["symbol"] if isinstance(item.opts["symbol"], str) else "letter" for item in items.values() if len(item.data)}


def test_letters_become_dots_in_wide_view(classified_window) -> None:
    window = classified_window
    layer = window.beat_marker_layer
    window.lead_column.set_x_range(0.0, 10.0)
    assert not layer.compact
    assert symbols(layer.reference_items) | symbols(layer.predicted_items) == {"letter"}
    assert {item.opts["size"] for item in layer.predicted_items.values()} == {LETTER_SIZE_PX}

    # Record 100 beats about every 0.8 s, so 60 s across about 1,000 pixels leaves 13 pixels a beat.
    window.lead_column.set_x_range(0.0, 60.0)
    assert layer.compact
    assert symbols(layer.reference_items) == {"o"}
    assert symbols(layer.predicted_items) == {"o"}
    assert {item.opts["size"] for item in layer.reference_items.values()} == {COMPACT_SIZE_PX}

    window.lead_column.set_x_range(100.0, 110.0)
    assert not layer.compact
    assert symbols(layer.reference_items) | symbols(layer.predicted_items) == {"letter"}
