"""The window appears before JAX is imported, and the app starts on the synthetic demo record."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6 import QtCore

from desktop_app.main_window import MainWindow
from model.data_paths import REPO_ROOT

CLASSIFY_TIMEOUT_MS = 120_000

SHOW_WINDOW_SCRIPT = textwrap.dedent(
    """
    import sys

    from PySide6 import QtCore, QtWidgets

    import desktop_app.app
    import model.demo
    import model.records
    from desktop_app.main_window import MainWindow

    app = QtWidgets.QApplication([])
    settings = QtCore.QSettings(sys.argv[1], QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.show()
    app.processEvents()
    print("visible", window.isVisible())
    print("jax imported", "jax" in sys.modules)
    window.close()
    """
)

RUN_GUI_SCRIPT = textwrap.dedent(
    """
    from PySide6 import QtCore, QtWidgets

    from desktop_app.app import run_gui
    from desktop_app.main_window import MainWindow

    app = QtWidgets.QApplication([])

    def close_when_demo_shown():
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
        if windows and windows[0].record is not None:
            print("title", windows[0].windowTitle())
            windows[0].close()
        else:
            QtCore.QTimer.singleShot(50, close_when_demo_shown)

    QtCore.QTimer.singleShot(0, close_when_demo_shown)
    print("exit code", run_gui())
    """
)


def run_python(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `script` in a fresh interpreter with user folders redirected into `tmp_path`."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(REPO_ROOT),
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_window_shows_before_jax(tmp_path):
    result = run_python(SHOW_WINDOW_SCRIPT, tmp_path, str(tmp_path / "settings.ini"))

    assert result.returncode == 0, result.stderr
    assert "visible True" in result.stdout
    assert "jax imported False" in result.stdout, "a module imported at window start imports JAX"


@pytest.mark.slow
def test_run_gui_opens_synthetic_demo(tmp_path):
    result = run_python(RUN_GUI_SCRIPT, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "synthetic" in result.stdout.split("title", 1)[-1].splitlines()[0]
    assert "exit code 0" in result.stdout


def test_demo_record_title_says_synthetic(qtbot, tmp_path, monkeypatch, open_and_wait):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()

    with qtbot.waitSignal(window.classification_ended, timeout=CLASSIFY_TIMEOUT_MS) as ended:
        assert open_and_wait(window, None, cancel_classification=True)
    assert ended.args == ["cancelled"], window.last_error

    assert "synthetic" in window.windowTitle()
    assert window.record.is_synthetic
    assert window.synthetic_banner.isVisible()
    assert "not a recording of a patient" in window.synthetic_banner.text()
    assert window.recent_files.paths() == []
