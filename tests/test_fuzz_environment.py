"""Fuzzing what surrounds a spec: the files written, the terminal's encoding, the folders `check` walks.

The specs are the fuzzing's own (`test_fuzz.almost_right_specs`); what varies here is the world around the run:
- `-o FILE` over an existing file, with a file-size limit anywhere from nothing to plenty: the file ends up the
  old one byte for byte or the whole new one, never a part, and the run ends in 0 or 2;
- standard output in Latin-1, cp1252 or ASCII, every command and format: never an internal error;
- folders holding specs, FIFOs, empty and unreadable subfolders (the last as root cannot make them: by a stand-in
  for os.scandir), for `check`: every spec counted, no FIFO read, every folder without a spec an error.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzing import INVOCATIONS, Invocation, almost_right_specs, examples
from hypothesis import event, given
from hypothesis import strategies as st

from cnncalc.cli import cli

OLD = b"# the file as it was\n"
WRITERS = [["export"], ["convert", "--to", "conv"], ["convert", "--to", "dense"], ["draw"]]
SUFFIX = {"export": ".py", "convert": ".yaml", "draw": ".svg"}


def console_script() -> str:
    script = Path(sys.executable).parent / "cnncalc"
    assert script.exists(), "the cnncalc console script is not installed: pip install -e ."
    return str(script)


def limited_to(size: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@examples(30)
@given(almost_right_specs(), st.sampled_from(WRITERS), st.integers(0, 20_000))
def test_a_written_file_is_old_or_new_whatever_the_room(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, writer: list[str], room: int
) -> None:
    folder = tmp_path_factory.mktemp("written")
    (folder / "spec.yaml").write_bytes(data)
    target = "out" + SUFFIX[writer[0]]
    unlimited = subprocess.run([console_script(), *writer, "spec.yaml"], cwd=folder, capture_output=True, timeout=180)
    (folder / target).write_bytes(OLD)
    done = subprocess.run(
        [console_script(), *writer, "spec.yaml", "-o", target],
        cwd=folder,
        capture_output=True,
        timeout=180,
        preexec_fn=lambda: limited_to(room),
    )
    written = (folder / target).read_bytes()
    assert b"Traceback" not in done.stderr and done.returncode in (0, 2), done.stderr
    if done.returncode == 0:
        assert written == unlimited.stdout
        event("written whole")
    else:
        assert written == OLD, done.stderr
        event("refused, or no room: the old file kept")
    assert sorted(os.listdir(folder)) == sorted(["spec.yaml", target])


ENCODINGS = ["latin-1", "cp1252", "ascii"]
NAMES = ["café", "✓", "日本", "\u2028", "e\u0301", "Ω"]


@examples(40)
@given(almost_right_specs(), st.sampled_from(INVOCATIONS), st.sampled_from(ENCODINGS), st.sampled_from(NAMES))
def test_any_terminal_encoding_ends_in_a_result_or_located_errors(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, invocation: Invocation, encoding: str, name: str
) -> None:
    folder = tmp_path_factory.mktemp("encoded")
    # a name beyond the terminal's encoding, wherever a name may stand
    text = data.replace(b"name: ", f"name: {name}".encode(), 1)
    (folder / "spec.yaml").write_bytes(text)
    environment = {**os.environ, "PYTHONIOENCODING": encoding}
    environment.pop("CNNCALC_DEBUG", None)
    done = subprocess.run(
        [console_script(), *invocation.argv, "spec.yaml"], cwd=folder, capture_output=True, env=environment, timeout=180
    )
    assert b"Traceback" not in done.stderr and b"internal error" not in done.stderr, done.stderr
    assert done.returncode in invocation.codes, done.stderr
    event(f"exit {done.returncode}")


GOOD = "input: [8, 8, 3]\nlayers: [relu]\n"
ENTRIES = st.sampled_from(["spec", "fifo", "empty", "locked", "hidden", "text"])


@examples(60)
@given(st.lists(st.tuples(st.integers(0, 2), ENTRIES), max_size=8))
def test_check_walks_any_folder_to_an_end(
    tmp_path_factory: pytest.TempPathFactory, entries: list[tuple[int, str]]
) -> None:
    root = tmp_path_factory.mktemp("walked")
    folders = [root, root / "a", root / "a" / "b"]
    for folder in folders[1:]:
        folder.mkdir()
    specs, locked = 0, []
    for number, (depth, kind) in enumerate(entries):
        folder = folders[depth]
        if kind == "spec":
            (folder / f"s{number}.yaml").write_text(GOOD)
            specs += 1
        elif kind == "fifo":
            os.mkfifo(folder / f"f{number}.yaml")
        elif kind == "hidden":
            (folder / f".h{number}.yaml").write_text("not read: hidden")
        elif kind == "text":
            (folder / f"t{number}.txt").write_text("not a spec")
        else:
            (folder / f"{kind}{number}").mkdir()  # an empty folder within one that holds specs is no error
            if kind == "locked":
                locked.append(folder / f"{kind}{number}")
    scandir = os.scandir

    def refusing(path: Any = ".") -> Any:
        if any(Path(path) == folder for folder in locked):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(os, "scandir", refusing)
        result = CliRunner().invoke(cli, ["check", str(root)])
    errors = result.stderr.splitlines()
    assert sorted(line for line in errors if "cannot read this folder" in line) == sorted(
        f"{folder}: error: cannot read this folder: Permission denied" for folder in locked
    )
    nothing = not specs and not locked
    assert result.exit_code == (2 if locked or nothing else 0), result.output
    counted = specs + len(locked) + nothing
    assert result.stdout.startswith(f"{counted} spec{'' if counted == 1 else 's'} checked, ")
    event("no spec: an error" if nothing else f"{specs} specs, {len(locked)} unreadable")
