"""The `liquid-ecg classify` command, run as a user runs it: a separate process."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import wfdb

from desktop_app import headless
from model.records import SYMBOL_TO_AAMI, Beats, EcgRecord

CSV_HEADER = ["sample", "time_s", "reference", "predicted", "p_N", "p_S", "p_V", "p_F", "p_Q"]
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
SUBPROCESS_TIMEOUT_S = 600


def liquid_ecg_command() -> list[str]:
    """The installed console script beside this Python, else the module."""
    script = Path(sys.executable).with_name("liquid-ecg")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "desktop_app.cli"]


def run_liquid_ecg(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*liquid_ecg_command(), *arguments],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        env={**os.environ, **(env or {})},
        check=False,
    )


def read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def record_100_run(record_100_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """`liquid-ecg classify 100.hea --out DIR`, with Python listing every module it imports."""
    out_dir = tmp_path_factory.mktemp("classify-100")
    result = run_liquid_ecg(
        "classify", str(record_100_path), "--out", str(out_dir), env={"PYTHONPROFILEIMPORTTIME": "1"}
    )
    return SimpleNamespace(result=result, out_dir=out_dir)


def messages_of(result: subprocess.CompletedProcess) -> str:
    """The command's stderr without the lines that PYTHONPROFILEIMPORTTIME adds."""
    return "\n".join(line for line in result.stderr.splitlines() if not line.startswith("import time:"))


@pytest.fixture(scope="module")
def record_100_reference(record_100_path: Path) -> wfdb.Annotation:
    return wfdb.rdann(str(record_100_path.with_suffix("")), "atr")


def reference_beats(annotation: wfdb.Annotation) -> tuple[np.ndarray, list[str]]:
    """Beat samples and AAMI classes of an annotation, without rhythm and other non-beat labels."""
    is_beat = [symbol in SYMBOL_TO_AAMI for symbol in annotation.symbol]
    samples = np.asarray(annotation.sample)[is_beat]
    classes = [SYMBOL_TO_AAMI[symbol] for symbol in annotation.symbol if symbol in SYMBOL_TO_AAMI]
    return samples, classes


def test_console_script_is_installed():
    assert Path(sys.executable).with_name("liquid-ecg").is_file(), "run: pip install -e '.[test]'"


@pytest.mark.slow
def test_classify_100_succeeds(record_100_run):
    assert record_100_run.result.returncode == 0, messages_of(record_100_run.result)


@pytest.mark.slow
def test_classify_100_writes_csv_header(record_100_run):
    header, _ = read_csv_rows(record_100_run.out_dir / "100.csv")
    assert header == CSV_HEADER


@pytest.mark.slow
def test_classify_100_files_have_same_mode(record_100_run):
    csv_mode = (record_100_run.out_dir / "100.csv").stat().st_mode & 0o777
    annotation_mode = (record_100_run.out_dir / "100.ltc").stat().st_mode & 0o777
    umask = os.umask(0o022)
    os.umask(umask)

    # The command inherits this process's umask; both files must follow it.
    assert csv_mode == 0o666 & ~umask
    assert annotation_mode == csv_mode


@pytest.mark.slow
def test_classify_100_row_per_reference_beat(record_100_run, record_100_reference):
    _, rows = read_csv_rows(record_100_run.out_dir / "100.csv")
    samples, classes = reference_beats(record_100_reference)

    assert len(rows) == 2273
    assert [int(row["sample"]) for row in rows] == samples.tolist()
    assert [row["reference"] for row in rows] == classes


@pytest.mark.slow
def test_classify_100_time_is_sample_over_fs(record_100_run):
    _, rows = read_csv_rows(record_100_run.out_dir / "100.csv")
    for row in rows:
        assert row["time_s"] == f"{int(row['sample']) / 360:.3f}"


@pytest.mark.slow
def test_classify_100_probabilities_sum_to_one(record_100_run):
    _, rows = read_csv_rows(record_100_run.out_dir / "100.csv")
    probabilities = np.array([[float(row[f"p_{c}"]) for c in "NSVFQ"] for row in rows])

    assert (probabilities >= 0).all()
    # Each probability is rounded to 4 decimals, so the sum may be off by 5 * 0.00005.
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=3e-4)
    predicted = [row["predicted"] for row in rows]
    assert predicted == ["NSVFQ"[index] for index in probabilities.argmax(axis=1)]


@pytest.mark.slow
def test_classify_100_mostly_normal_on_normal(record_100_run):
    _, rows = read_csv_rows(record_100_run.out_dir / "100.csv")
    normal_rows = [row for row in rows if row["reference"] == "N"]
    agreeing = sum(row["predicted"] == "N" for row in normal_rows)

    assert len(normal_rows) == 2239
    assert agreeing >= 0.9 * len(normal_rows), f"{agreeing} of {len(normal_rows)} N beats predicted N"


@pytest.mark.slow
def test_classify_100_annotations_read_back(record_100_run, record_100_reference):
    annotation = wfdb.rdann(str(record_100_run.out_dir / "100"), "ltc")
    _, rows = read_csv_rows(record_100_run.out_dir / "100.csv")
    samples, _ = reference_beats(record_100_reference)

    assert annotation.sample.tolist() == samples.tolist()
    assert annotation.fs == 360
    expected_symbols = [{"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}[row["predicted"]] for row in rows]
    assert list(annotation.symbol) == expected_symbols


@pytest.mark.slow
def test_classify_100_reports_beats_per_second(record_100_run):
    messages = messages_of(record_100_run.result)
    line = re.search(r"\[1/1\] 100\.hea: 2273 reference beats in [\d.]+ s \(\d+ beats/s\)", messages)
    assert line is not None, messages


@pytest.mark.slow
def test_classify_100_imports_no_qt(record_100_run):
    # PYTHONPROFILEIMPORTTIME makes Python list each import on stderr as "import time: ... | name".
    imported = re.findall(r"^import time:.*\|\s+(\S+)\s*$", record_100_run.result.stderr, re.MULTILINE)
    assert "model.inference" in imported
    qt_imports = [name for name in imported if name.split(".")[0] in QT_MODULES]
    assert qt_imports == []


@pytest.mark.slow
def test_classify_100_leaves_source_folder_alone(record_100_run, mitdb_dir):
    assert not (mitdb_dir / "100.ltc").exists()
    assert not (mitdb_dir / "100.csv").exists()
    assert sorted(path.name for path in record_100_run.out_dir.iterdir()) == ["100.csv", "100.ltc"]


def test_classify_missing_record_names_file(tmp_path):
    missing = tmp_path / "no_such_record.hea"
    result = run_liquid_ecg("classify", str(missing), "--out", str(tmp_path / "out"))

    assert result.returncode != 0
    assert "no_such_record.hea" in result.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_classify_rejects_record_folder_as_output(demo_header_path):
    result = run_liquid_ecg("classify", str(demo_header_path), "--out", str(demo_header_path.parent))

    assert result.returncode != 0
    assert "own folder" in result.stderr
    assert not demo_header_path.with_suffix(".ltc").exists()
    assert not demo_header_path.with_suffix(".csv").exists()


def test_classify_without_out_is_usage_error(demo_header_path):
    result = run_liquid_ecg("classify", str(demo_header_path))

    assert result.returncode == 2
    assert "--out" in result.stderr


def copy_record(header_path: Path, write_dir: Path, record_name: str) -> Path:
    """Write the signals of a record under a new name, without its annotations."""
    record = wfdb.rdrecord(str(header_path.with_suffix("")), physical=False)
    write_dir.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(
        record_name,
        fs=record.fs,
        units=record.units,
        sig_name=record.sig_name,
        d_signal=record.d_signal,
        fmt=record.fmt,
        adc_gain=record.adc_gain,
        baseline=record.baseline,
        comments=record.comments,
        write_dir=str(write_dir),
    )
    return write_dir / f"{record_name}.hea"


@pytest.mark.slow
def test_classify_goes_on_after_failed_records(tmp_path, demo_header_path):
    missing = tmp_path / "missing_record.hea"
    unannotated = copy_record(demo_header_path, tmp_path / "unannotated", "demo_without_atr")
    same_name = copy_record(demo_header_path, tmp_path / "elsewhere", "synthetic_demo")
    out_dir = tmp_path / "out"
    result = run_liquid_ecg(
        "classify", str(missing), str(demo_header_path), str(unannotated), str(same_name), "--out", str(out_dir)
    )

    assert result.returncode == 1
    assert "missing_record.hea" in result.stderr
    assert f"output for record synthetic_demo was already written from {demo_header_path}" in result.stderr
    assert "2 of 4 records failed" in result.stderr

    _, demo_rows = read_csv_rows(out_dir / "synthetic_demo.csv")
    demo_annotation = wfdb.rdann(str(demo_header_path.with_suffix("")), "atr")
    assert [int(row["sample"]) for row in demo_rows] == demo_annotation.sample.tolist()
    assert {row["reference"] for row in demo_rows} == {"N", "S", "V"}

    # Without an atr file the beats come from the QRS detector and carry no reference class.
    _, detected_rows = read_csv_rows(out_dir / "demo_without_atr.csv")
    assert len(detected_rows) > 0.9 * len(demo_rows)
    assert {row["reference"] for row in detected_rows} == {""}
    assert (out_dir / "demo_without_atr.ltc").is_file()
    assert sorted(path.name for path in out_dir.iterdir()) == [
        "demo_without_atr.csv",
        "demo_without_atr.ltc",
        "synthetic_demo.csv",
        "synthetic_demo.ltc",
    ]


def test_cli_modules_import_no_qt():
    code = (
        "import sys, desktop_app.cli, desktop_app.headless; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def _tiny_record(source: str) -> EcgRecord:
    sample = np.array([100, 400, 700], dtype=np.int64)
    beats = Beats(
        sample=sample,
        symbol=np.array(["N", "A", "V"]),
        aami=np.array([0, 1, 2], dtype=np.int8),
        source=source,
    )
    return EcgRecord(
        header_path=Path("/records/tiny.hea"),
        record_name="tiny",
        fs=250.0,
        signal=np.zeros((1000, 1), dtype=np.float32),
        sig_name=["II"],
        units=["mV"],
        ecg_channels=[0],
        model_channel=0,
        beats=beats,
    )


def _tiny_prediction() -> SimpleNamespace:
    probabilities = np.array(
        [[0.9, 0.05, 0.03, 0.01, 0.01], [np.nan] * 5, [0.1, 0.1, 0.7, 0.05, 0.05]], dtype=np.float32
    )
    return SimpleNamespace(
        sample=np.array([100, 400, 700], dtype=np.int64),
        probabilities=probabilities,
        predicted=np.array([0, -1, 2], dtype=np.int8),
    )


def test_unclassified_beat_is_marked():
    rows = headless.prediction_rows(_tiny_record("reference"), _tiny_prediction())

    assert rows[0] == ["100", "0.400", "N", "N", "0.9000", "0.0500", "0.0300", "0.0100", "0.0100"]
    assert rows[1] == ["400", "1.600", "S", "unclassifiable", "", "", "", "", ""]
    assert rows[2][:4] == ["700", "2.800", "V", "V"]


def test_detected_beats_have_no_reference():
    rows = headless.prediction_rows(_tiny_record("detected"), _tiny_prediction())
    assert [row[2] for row in rows] == ["", "", ""]


def test_unclassified_beat_is_annotated_q_with_note(tmp_path):
    path = headless.write_prediction_annotations(tmp_path, _tiny_record("reference"), _tiny_prediction())

    assert path == tmp_path / "tiny.ltc"
    annotation = wfdb.rdann(str(tmp_path / "tiny"), "ltc")
    assert annotation.sample.tolist() == [100, 400, 700]
    assert annotation.symbol == ["N", "Q", "V"]
    assert annotation.aux_note == ["", headless.UNCLASSIFIED_NOTE, ""]
    assert annotation.fs == 250
    assert sorted(item.name for item in tmp_path.iterdir()) == ["tiny.ltc"]


def test_record_without_beats_gets_csv_but_no_annotation(tmp_path):
    record = _tiny_record("detected")
    empty = SimpleNamespace(
        sample=np.zeros(0, dtype=np.int64),
        probabilities=np.zeros((0, 5), dtype=np.float32),
        predicted=np.zeros(0, dtype=np.int8),
    )
    headless.write_prediction_csv(tmp_path / "tiny.csv", record, empty)

    assert headless.write_prediction_annotations(tmp_path, record, empty) is None
    header, rows = read_csv_rows(tmp_path / "tiny.csv")
    assert header == CSV_HEADER
    assert rows == []
    assert sorted(item.name for item in tmp_path.iterdir()) == ["tiny.csv"]


def test_window_exits_when_classified(record_100_path, tmp_path):
    environment = {"QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = run_liquid_ecg("--exit-when-classified", str(record_100_path), env=environment)
    assert result.returncode == 0, messages_of(result)
    assert "classified 100: 2273 of 2273 beats labelled" in result.stdout


def test_window_check_fails_on_missing_record(tmp_path):
    environment = {"QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = run_liquid_ecg("--exit-when-classified", str(tmp_path / "absent.hea"), env=environment)
    assert result.returncode == 1
    assert f"error: {tmp_path / 'absent.hea'}: header file not found." in result.stdout


def test_window_without_display_explains(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [*liquid_ecg_command()], capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, env=environment, check=False
    )
    assert result.returncode == 2
    assert "no display found" in result.stderr
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr
