"""The product makes no network connection: classify, open a record and the demo with sockets audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).with_name("offline_driver.py")


@pytest.mark.slow
def test_classify_and_view_offline(record_100_path: Path, tmp_path: Path) -> None:
    environment = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), XDG_DATA_HOME=str(tmp_path / "data"))
    completed = subprocess.run(
        [sys.executable, str(DRIVER), str(record_100_path), str(tmp_path / "out"), str(tmp_path / "settings.ini")],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    # The run really did the work whose network use is in question.
    assert report["classified"]
    assert report["window"] == "finished,finished"
    assert (tmp_path / "out" / "100.csv").is_file()
    assert report["events"] == []


def test_audit_hook_records_connect(tmp_path: Path) -> None:
    """The same hook reports a loopback connection, so an empty event list is evidence."""
    script = (
        "import runpy, socket, sys\n"
        f"hook = runpy.run_path({str(DRIVER)!r}, run_name='offline_driver')\n"
        "server = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen(1)\n"
        "client = socket.socket(); client.connect(server.getsockname())\n"
        "print(hook['events'])\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert "socket.connect ('127.0.0.1'" in completed.stdout
