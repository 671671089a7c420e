"""Shared test setup: Qt draws offscreen, JAX runs on the CPU, and the PhysioNet data fixtures.

The environment variables are set at import, before any test module imports
Qt or JAX, and are inherited by the subprocesses that tests start. Values
already set in the environment win.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import pytest  # noqa: E402

from model.data_paths import GET_DATA_HINT, find_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder that contains `mitdb/` and `nstdb-noise/`. Skips the test when there is none."""
    folder = find_data_dir()
    if folder is None:
        pytest.skip(f"PhysioNet data folder not found. {GET_DATA_HINT}")
    return folder


@pytest.fixture(scope="session")
def mitdb_dir(data_dir: Path) -> Path:
    """The MIT-BIH Arrhythmia Database folder."""
    return data_dir / "mitdb"


@pytest.fixture(scope="session")
def record_100_path(mitdb_dir: Path) -> Path:
    """The header of MIT-BIH record 100 (2273 reference beats, 30 minutes at 360 Hz)."""
    path = mitdb_dir / "100.hea"
    if not path.is_file():
        pytest.skip(f"{path} not found. {GET_DATA_HINT}")
    return path


@pytest.fixture(scope="session")
def demo_header_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic demo record, generated once per session into a temporary cache folder."""
    from model.demo import demo_record_path

    return demo_record_path(tmp_path_factory.mktemp("demo-cache"))


@pytest.fixture
def linked_record_100(record_100_path: Path, tmp_path: Path) -> Path:
    """Record 100 in a writable temporary folder, as symbolic links to the read-only originals."""
    folder = tmp_path / "records"
    folder.mkdir()
    for suffix in (".hea", ".dat", ".atr"):
        (folder / f"100{suffix}").symlink_to(record_100_path.with_suffix(suffix))
    return folder / "100.hea"


OPEN_TIMEOUT_MS = 30_000
"""How long a test waits for a record to load; a 24-hour record loads in about a second."""


def open_record_and_wait(
    qtbot,
    window,
    source: str | Path | Callable[[], object] | None,
    *,
    cancel_classification: bool = False,
    timeout_ms: int = OPEN_TIMEOUT_MS,
) -> bool:
    """Open a record in `window` and wait until it is shown (True) or its error is shown (False).

    `source` is the record's header path, None for the demo record, or a
    function that starts the open as a user would (a menu action, a drop).
    With `cancel_classification`, the classification that starts once the
    record is shown is cancelled before its thread runs, as by the Cancel button.
    """
    outcomes: list[bool] = []

    def on_opened(record: object) -> None:
        outcomes.append(True)

    def on_failed(message: str) -> None:
        outcomes.append(False)

    def on_classification_started(worker: object) -> None:
        window.cancel_classification()

    window.record_opened.connect(on_opened)
    window.record_open_failed.connect(on_failed)
    if cancel_classification:
        window.classification_started.connect(on_classification_started)
    try:
        # The blocker returns on whichever of the two signals comes first.
        with qtbot.waitSignal(window.record_opened, timeout=timeout_ms) as blocker:
            blocker.connect(window.record_open_failed)
            if source is None:
                window.open_demo_record()
            elif callable(source):
                source()
            else:
                window.open_record(source)
    finally:
        window.record_opened.disconnect(on_opened)
        window.record_open_failed.disconnect(on_failed)
        if cancel_classification:
            window.classification_started.disconnect(on_classification_started)
    return outcomes[0]


@pytest.fixture
def open_and_wait(qtbot):
    """`open_record_and_wait` bound to this test's `qtbot`: `open_and_wait(window, source, ...) -> bool`."""

    def open_and_wait(window, source, **options) -> bool:
        return open_record_and_wait(qtbot, window, source, **options)

    return open_and_wait


def new_main_window(qtbot, tmp_path: Path, width: int = 1280, height: int = 800):
    """Create and show an empty main window whose settings live in `tmp_path`."""
    from PySide6 import QtCore

    from desktop_app.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(width, height)
    window.show()
    return window


@pytest.fixture
def classified_window(qtbot, tmp_path: Path, mitdb_dir: Path):
    """A main window showing MIT-BIH record 100, classified by the shipped model."""
    window = new_main_window(qtbot, tmp_path)
    with qtbot.waitSignal(window.classification_finished, timeout=120_000):
        assert open_record_and_wait(qtbot, window, mitdb_dir / "100.hea")
    return window
