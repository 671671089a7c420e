"""Build the one-folder application with PyInstaller and run the smoke test on the result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.data_paths import REPO_ROOT

SPEC = REPO_ROOT / "packaging" / "liquid-ecg.spec"
SMOKE_TEST = REPO_ROOT / "packaging" / "smoke_test.sh"


@pytest.mark.slow
def test_bundle_builds_and_runs(tmp_path: Path, record_100_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="PyInstaller is in the test extra: pip install -e '.[test]'")
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "build"), str(SPEC)],
        capture_output=True, text=True, timeout=1200, cwd=REPO_ROOT,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    bundle = tmp_path / "dist" / "liquid-ecg"
    assert (bundle / "liquid-ecg").is_file()
    assert (bundle / "_internal" / "resources" / "ltc_beat_classifier.eqx").is_file()

    environment = dict(os.environ, LIQUID_ECG_DATA=str(record_100_path.parent.parent))
    smoke = subprocess.run(
        ["bash", str(SMOKE_TEST), str(bundle)], capture_output=True, text=True, timeout=600, env=environment
    )
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr[-4000:]
    assert "classified synthetic_demo: " in smoke.stdout
    assert "100.hea: 2273 reference beats" in smoke.stdout + smoke.stderr
    assert "smoke test passed" in smoke.stdout
