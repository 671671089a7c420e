"""Banners above the record view: long warnings that wrap rather than widen the window."""

from __future__ import annotations

from PySide6 import QtWidgets


def keep_from_widening_window(label: QtWidgets.QLabel) -> None:
    """Let a long banner wrap instead of widening the window to fit its text on one line."""
    label.setWordWrap(True)
    label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Minimum)
