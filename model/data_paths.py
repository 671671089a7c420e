"""Locate the PhysioNet data folder used by training, evaluation and tests."""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

DATA_ENV_VAR = "LIQUID_ECG_DATA"
REPO_ROOT = Path(__file__).resolve().parent.parent
INSTALLED_RESOURCES = "share/liquid-ecg/resources"
"""Install folder of resources/ from a wheel, relative to the environment's prefix (see pyproject.toml)."""
WEIGHTS_FILE_NAME = "ltc_beat_classifier.eqx"


def find_resources_dir() -> Path:
    """Return the folder that contains the shipped weights and model card.

    A checkout or editable install uses resources/ beside the packages. A
    wheel installs the files as data files under the environment's prefix, and
    a PyInstaller bundle unpacks them into its own folder. When none contains the
    weights, the checkout's path is returned so that errors name it.
    """
    candidates = [REPO_ROOT / "resources"]
    bundle_folder = getattr(sys, "_MEIPASS", None)
    if bundle_folder is not None:
        candidates.append(Path(bundle_folder) / "resources")
    try:
        files = metadata.distribution("liquid-ecg").files or []
    except metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.as_posix().endswith(f"{INSTALLED_RESOURCES}/{WEIGHTS_FILE_NAME}"):
            candidates.append(Path(file.locate()).parent)
    candidates.append(Path(sys.prefix) / INSTALLED_RESOURCES)
    for folder in candidates:
        if (folder / WEIGHTS_FILE_NAME).is_file():
            return folder.resolve()
    return candidates[0]


RESOURCES_DIR = find_resources_dir()

DS1_RECORDS = (
    "101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 223 230"
).split()
"""Training records of the inter-patient split (de Chazal et al., IEEE TBME 51(7), 2004)."""

DS2_RECORDS = (
    "100 103 105 111 113 117 121 123 200 202 210 212 213 214 219 221 222 228 231 232 233 234"
).split()
"""Test records of the same split; never used for model selection."""

GET_DATA_HINT = (
    "Download the MIT-BIH Arrhythmia Database with "
    "python -c \"import wfdb; wfdb.dl_database('mitdb', 'DIR/mitdb')\" "
    f"and set {DATA_ENV_VAR}=DIR."
)


def find_data_dir() -> Path | None:
    """Return the folder that contains `mitdb/`, or None when there is none.

    The folder named by LIQUID_ECG_DATA comes first, then `../shared/data`
    beside the checkout.
    """
    candidates = []
    if os.environ.get(DATA_ENV_VAR):
        candidates.append(Path(os.environ[DATA_ENV_VAR]).expanduser())
    candidates.append(REPO_ROOT.parent / "shared" / "data")

    for folder in candidates:
        if (folder / "mitdb").is_dir():
            return folder
    return None


def require_data_dir() -> Path:
    """Return the data folder, or raise FileNotFoundError with download instructions."""
    folder = find_data_dir()
    if folder is None:
        raise FileNotFoundError(f"No PhysioNet data folder found. {GET_DATA_HINT}")
    return folder
