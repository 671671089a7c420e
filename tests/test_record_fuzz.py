"""Seeded random damage to real headers, signal files and annotation files.

Loading a damaged record must either succeed or raise RecordError with a
message that names a file; any other exception is a bug.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.records import RecordError, load_record

SEED = 20261204
CASES_PER_RECORD = 60
SHORT_100_SAMPLES = 21_600
"""Record 100 is cut to its first minute so each case loads in milliseconds."""


def copy_short_record_100(mitdb_dir: Path, folder: Path) -> Path:
    """Copy record 100 cut to SHORT_100_SAMPLES samples (format 212: 3 bytes per 2-signal frame)."""
    header = (mitdb_dir / "100.hea").read_text().splitlines()
    fields = header[0].split()
    fields[3] = str(SHORT_100_SAMPLES)
    header[0] = " ".join(fields)
    (folder / "100.hea").write_text("\n".join(header) + "\n")
    (folder / "100.dat").write_bytes((mitdb_dir / "100.dat").read_bytes()[: SHORT_100_SAMPLES * 3])
    shutil.copy(mitdb_dir / "100.atr", folder / "100.atr")
    return folder / "100.hea"


def copy_record(source_header: Path, folder: Path) -> Path:
    """Copy every file of the record beside `source_header` whose name starts with the record name."""
    stem = source_header.stem
    for path in source_header.parent.iterdir():
        if path.is_file() and path.name.startswith(stem):
            shutil.copy(path, folder / path.name)
    return folder / source_header.name


def mutate_header(rng: np.random.Generator, path: Path) -> str:
    """Change one token, line or byte of a header and return what was done."""
    lines = path.read_bytes().split(b"\n")
    line_index = int(rng.integers(len(lines)))
    tokens = lines[line_index].split(b" ")
    token_index = int(rng.integers(len(tokens)))
    replacements = [
        b"", b"0", b"-1", b"1e308", b"nan", b"x", b"99999999999", b"212x0", b"16:-3", b"8+9999999",
        b"200(", b"/mV", str(int(rng.integers(-10**6, 10**6))).encode(), b"\xff\xfe", b"\t",
    ]
    kind = int(rng.integers(6))

    if kind == 0:
        tokens[token_index] = replacements[int(rng.integers(len(replacements)))]
        lines[line_index] = b" ".join(tokens)
        done = f"token {token_index} of line {line_index + 1} replaced"
    elif kind == 1:
        del tokens[token_index]
        lines[line_index] = b" ".join(tokens)
        done = f"token {token_index} of line {line_index + 1} deleted"
    elif kind == 2:
        del lines[line_index]
        done = f"line {line_index + 1} deleted"
    elif kind == 3:
        lines.insert(line_index, lines[line_index])
        done = f"line {line_index + 1} duplicated"
    elif kind == 4:
        content = b"\n".join(lines)
        cut = int(rng.integers(len(content) + 1))
        path.write_bytes(content[:cut])
        return f"header cut at byte {cut}"
    else:
        content = bytearray(b"\n".join(lines))
        position = int(rng.integers(len(content)))
        content[position] = int(rng.integers(256))
        path.write_bytes(bytes(content))
        return f"header byte {position} changed"

    path.write_bytes(b"\n".join(lines))
    return done


def mutate_binary(rng: np.random.Generator, path: Path) -> str:
    """Truncate, overwrite, extend or empty a binary file and return what was done."""
    content = bytearray(path.read_bytes())
    kind = int(rng.integers(4))
    if kind == 0:
        cut = int(rng.integers(len(content) + 1))
        path.write_bytes(bytes(content[:cut]))
        return f"{path.name} cut at byte {cut} of {len(content)}"
    if kind == 1:
        positions = rng.integers(len(content), size=max(1, len(content) // 100))
        content_array = np.frombuffer(bytes(content), dtype=np.uint8).copy()
        content_array[positions] = rng.integers(256, size=len(positions))
        path.write_bytes(content_array.tobytes())
        return f"{len(positions)} bytes of {path.name} changed"
    if kind == 2:
        path.write_bytes(bytes(content) + rng.integers(256, size=333).astype(np.uint8).tobytes())
        return f"333 random bytes appended to {path.name}"
    path.write_bytes(b"")
    return f"{path.name} emptied"


def load_damaged_records(rng, folder: Path, header_path: Path, cases: int) -> dict[str, int]:
    """Damage a fresh copy of the record `cases` times and load each; return the count of each outcome."""
    outcomes = {"loaded": 0, "RecordError": 0}
    files = sorted(path.name for path in header_path.parent.iterdir() if path.is_file())

    for case in range(cases):
        case_folder = folder / f"case {case}"
        case_folder.mkdir()
        for name in files:
            shutil.copy(header_path.parent / name, case_folder / name)
        target = case_folder / files[int(rng.integers(len(files)))]
        if target.suffix == ".hea":
            done = mutate_header(rng, target)
        else:
            done = mutate_binary(rng, target)

        try:
            load_record(case_folder / header_path.name)
        except RecordError as error:
            message = str(error)
            assert message, f"{done}: RecordError without a message"
            assert str(case_folder) in message, f"{done}: the message names no file: {message}"
            outcomes["RecordError"] += 1
        except Exception as error:
            pytest.fail(f"{done}: loading raised {type(error).__name__}: {error}")
        else:
            outcomes["loaded"] += 1
    return outcomes


@pytest.mark.parametrize("record", ["100", "binformats", "041s01", "041s"])
def test_damaged_record_loads_or_raises_record_error(record, data_dir, mitdb_dir, tmp_path, caplog):
    caplog.set_level(logging.ERROR)
    source = tmp_path / "source"
    source.mkdir()
    if record == "100":
        header_path = copy_short_record_100(mitdb_dir, source)
    elif record == "binformats":
        header_path = copy_record(data_dir / "formats" / "binformats.hea", source)
    else:
        segment_folder = data_dir / "formats" / "multi-segment-041s"
        for path in segment_folder.iterdir():
            shutil.copy(path, source / path.name)
        header_path = source / f"{record}.hea"
        for path in source.iterdir():
            if not path.name.startswith("041s"):
                path.unlink()
    rng = np.random.default_rng([SEED, sum(record.encode())])

    outcomes = load_damaged_records(rng, tmp_path, header_path, CASES_PER_RECORD)

    # Both outcomes occur, so the mutations neither always break nor never break the record.
    assert outcomes["RecordError"] > 0, outcomes
    assert outcomes["loaded"] > 0, outcomes
