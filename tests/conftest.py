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


@pytest.fixture
def classified_window(qtbot, tmp_path: Path, mitdb_dir: Path):
    """A main window showing MIT-BIH record 100, classified by the shipped model."""
    from PySide6 import QtCore

    from desktop_app.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.classification_finished, timeout=120_000):
        assert window.open_record(mitdb_dir / "100.hea")
    return window
