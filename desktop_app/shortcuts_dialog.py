"""Help > Keyboard Shortcuts: every menu action that has a key, read from the menus themselves."""

from __future__ import annotations

import html
import logging

from PySide6 import QtGui, QtWidgets

logger = logging.getLogger(__name__)


def menu_shortcuts(window: QtWidgets.QMainWindow) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return (menu title, [(keys, action text)]) for every menu action with a shortcut, in menu order."""
    sections = []
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        rows = []
        for action in menu.actions():
            keys = [sequence.toString(QtGui.QKeySequence.SequenceFormat.NativeText) for sequence in action.shortcuts()]
            if keys:
                rows.append((" or ".join(keys), action.text().replace("&", "")))
        if rows:
            sections.append((menu.title().replace("&", ""), rows))
    return sections


def shortcuts_html(window: QtWidgets.QMainWindow) -> str:
    parts = []
    for title, rows in menu_shortcuts(window):
        parts.append(f"<h3>{html.escape(title)}</h3><table cellspacing='0' cellpadding='3'>")
        parts += [f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(text)}</td></tr>" for keys, text in rows]
        parts.append("</table>")
    return "".join(parts)


def show_shortcuts_dialog(window: QtWidgets.QMainWindow) -> QtWidgets.QDialog:
    """Open a non-modal dialog that lists the window's keyboard shortcuts, and return it."""
    dialog = QtWidgets.QDialog(window)
    dialog.setObjectName("shortcuts_dialog")
    dialog.setWindowTitle("Keyboard Shortcuts")
    browser = QtWidgets.QTextBrowser()
    browser.setObjectName("shortcuts_text")
    browser.setHtml(shortcuts_html(window))
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout = QtWidgets.QVBoxLayout(dialog)
    layout.addWidget(browser)
    layout.addWidget(buttons)
    dialog.resize(460, 560)
    dialog.show()
    window.shortcuts_dialog = dialog
    return dialog
