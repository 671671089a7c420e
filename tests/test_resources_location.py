"""The shipped weights and model card are found from a checkout and from a wheel's data files."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from desktop_app import about
from model import data_paths, weights


def test_checkout_resources_found() -> None:
    assert data_paths.RESOURCES_DIR == (data_paths.REPO_ROOT / "resources").resolve()
    assert weights.DEFAULT_WEIGHTS.is_file()


def test_wheel_lists_every_resource_the_app_reads() -> None:
    pyproject = tomllib.loads((data_paths.REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = pyproject["tool"]["setuptools"]["data-files"][data_paths.INSTALLED_RESOURCES]
    listed_names = {Path(path).name for path in listed}
    for path in listed:
        assert (data_paths.REPO_ROOT / path).is_file(), path
    for needed in (weights.DEFAULT_WEIGHTS, about.CARD_PATH, about.MODEL_CARD_PAGE):
        assert needed.name in listed_names


def test_installed_data_files_found(tmp_path: Path, monkeypatch) -> None:
    installed = tmp_path / "prefix" / data_paths.INSTALLED_RESOURCES
    installed.mkdir(parents=True)
    (installed / data_paths.WEIGHTS_FILE_NAME).write_bytes(b"weights")
    monkeypatch.setattr(data_paths, "REPO_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert data_paths.find_resources_dir() == installed.resolve()


def test_missing_resources_name_checkout(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(data_paths, "REPO_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "empty-prefix"))
    assert data_paths.find_resources_dir() == tmp_path / "no-checkout" / "resources"
