"""Every file cnncalc writes appears whole or not at all, and never over the spec it reads.

`export`, `convert` and `draw` write with `-o FILE` by one rule (cnncalc/output.py): beside the file, then
renamed over it once whole; a failure at any point (a full disk, a file-size limit, Ctrl-C, a kill) leaves the old
file byte for byte. `-o -` is standard output for all three. Standard output itself may fail too (`> /dev/full`):
a message and exit code 2, never an internal error.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import cli
from cnncalc.output import CannotWrite, write_output

ROOT = Path(__file__).resolve().parent.parent
SPEC = "name: tiny\ninput: [8, 8, 3]\nlayers:\n  - conv: {filters: 4, kernel: 3}\n  - flatten\n  - dense: {units: 2}\n"
OLD = b"the file as it was, byte for byte\n"
# each command that writes a file, with what it writes of SPEC at -o NAME
WRITERS = [
    pytest.param(["export", "spec.yaml"], "net.py", b'"""tiny: a PyTorch model exported by cnncalc.', id="export"),
    pytest.param(["convert", "spec.yaml", "--to", "conv"], "net.yaml", b"# converted by", id="convert"),
    # a spec may have any name: one named like a picture is no more to be written over
    pytest.param(["draw", "spec.svg"], "net.svg", b"<svg", id="draw"),
]  # fmt: skip


def run(argv: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, argv)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(SPEC)
    (tmp_path / "spec.svg").write_text(SPEC)
    return tmp_path


# -- the rule, on write_output itself ------------------------------------------------------------------------


def test_a_new_file_is_made_as_open_would_make_it(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    write_output(b"made", str(target))
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_bytes() == b"made"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["new.txt"]  # nothing left beside it


def test_a_file_replaced_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_bytes(OLD)
    target.chmod(0o640)
    write_output(b"new", str(target))
    assert (target.read_bytes(), stat.S_IMODE(target.stat().st_mode)) == (b"new", 0o640)


def test_a_symlink_is_followed_and_stays(tmp_path: Path) -> None:
    real, link = tmp_path / "real.txt", tmp_path / "link.txt"
    real.write_bytes(OLD)
    link.symlink_to(real.name)
    write_output(b"new", str(link))
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_bytes() == b"new"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("folder", "it is a directory", id="a-directory"),
        pytest.param("missing/out.txt", "No such file or directory", id="a-missing-folder"),
        pytest.param("file.txt/out.txt", "Not a directory", id="a-file-as-folder"),
    ],
)
def test_what_cannot_be_written_changes_nothing(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_bytes(OLD)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(CannotWrite, match=message):
        write_output(b"new", str(tmp_path / name))
    assert sorted(os.listdir(tmp_path)) == before
    assert (tmp_path / "file.txt").read_bytes() == OLD and not os.listdir(tmp_path / "folder")


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()])
def test_a_write_failing_midway_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    target = tmp_path / "out.txt"
    target.write_bytes(OLD)
    written: list[int] = []
    write = os.write

    def half_then_fail(descriptor: int, data: bytes) -> int:
        if written:
            raise failure
        written.append(len(data) // 2)
        return write(descriptor, data[: written[0]])

    monkeypatch.setattr(os, "write", half_then_fail)
    with pytest.raises(CannotWrite if isinstance(failure, OSError) else KeyboardInterrupt):
        write_output(b"x" * 1000, str(target))
    monkeypatch.undo()
    assert written == [500]
    assert target.read_bytes() == OLD
    assert os.listdir(tmp_path) == ["out.txt"]  # the half-written file went with the failure


def test_a_device_is_written_in_place(tmp_path: Path) -> None:
    write_output(b"gone", os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    with pytest.raises(CannotWrite, match="cannot write /dev/full: No space left on device"):
        write_output(b"x", "/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # still the device, not a file renamed over it


# -- the commands ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "name", "start"), WRITERS)
def test_dash_is_standard_output_for_every_command(folder: Path, argv: list[str], name: str, start: bytes) -> None:
    code, stdout, stderr = run([*argv, "-o", "-"])
    assert (code, stderr) == (0, "")
    assert stdout.encode().startswith(start) or start in stdout.encode()[:200]
    assert sorted(os.listdir(folder)) == ["spec.svg", "spec.yaml"]  # no file named -


@pytest.mark.parametrize(("argv", "name", "start"), WRITERS)
@pytest.mark.parametrize("way", ["the-same-name", "a-symlink", "a-hard-link", "another-spelling"])
def test_the_spec_read_is_never_written_over(folder: Path, argv: list[str], name: str, start: bytes, way: str) -> None:
    read = argv[1]
    spec, suffix = folder / read, os.path.splitext(read)[1]
    target = {
        "the-same-name": read,
        "a-symlink": f"link{suffix}",
        "a-hard-link": f"hard{suffix}",
        "another-spelling": f"./sub/../{read}",
    }[way]
    (folder / f"link{suffix}").symlink_to(read)
    os.link(spec, folder / f"hard{suffix}")
    (folder / "sub").mkdir()
    written = spec.stat().st_mtime_ns
    code, stdout, stderr = run([*argv, "-o", target])
    assert (code, stdout) == (2, "")
    assert stderr == f"cnncalc {argv[0]}: {target} is the spec being read: it is not written over\n"
    assert spec.read_text() == SPEC and spec.stat().st_mtime_ns == written


@pytest.mark.parametrize(("argv", "name", "start"), WRITERS)
@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("folder", "it is a directory", id="a-directory"),
        pytest.param("folder.png", "it is a directory", id="a-directory-named-like-a-file"),
        pytest.param("missing/net", "No such file or directory", id="a-missing-folder"),
        pytest.param("/dev/full", "No space left on device", id="a-full-device"),
    ],
)
def test_an_output_that_cannot_be_written_is_exit_2(
    folder: Path, argv: list[str], name: str, start: bytes, target: str, message: str
) -> None:
    (folder / "folder").mkdir()
    (folder / "folder.png").mkdir()
    suffix = os.path.splitext(name)[1]
    if target.startswith("missing"):
        target += suffix
    if argv[0] == "draw" and target == "folder":
        target = "folder.svg"
        (folder / target).mkdir()
    code, stdout, stderr = run([*argv, "-o", target])
    if argv[0] == "draw" and target == "/dev/full":  # no .svg or .png: a usage error first
        assert code == 2 and "the picture is written as .svg or .png" in stderr
        return
    assert (code, stdout) == (2, "")
    assert stderr == f"cnncalc {argv[0]}: cannot write {target}: {message}\n"


def console_script() -> str:
    script = Path(sys.executable).parent / "cnncalc"
    assert script.exists(), "the cnncalc console script is not installed: pip install -e ."
    return str(script)


def limited_to(size: int) -> None:
    """A file-size limit, as a quota would set it; past it a write fails (EFBIG), rather than killing the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@pytest.mark.parametrize(("argv", "name", "start"), WRITERS)
def test_a_file_size_limit_midway_leaves_the_old_file(folder: Path, argv: list[str], name: str, start: bytes) -> None:
    (folder / name).write_bytes(OLD)
    done = subprocess.run(
        [console_script(), *argv, "-o", name],
        cwd=folder,
        capture_output=True,
        text=True,
        preexec_fn=lambda: limited_to(100),
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"cnncalc {argv[0]}: cannot write {name}: File too large\n"
    assert (folder / name).read_bytes() == OLD
    assert sorted(os.listdir(folder)) == sorted([name, "spec.svg", "spec.yaml"])


BIG = "input: [8, 8, 3]\nlayers:\n  - repeat: {times: 3000, layers: [{conv: {filters: 3, kernel: 1}}, relu]}\n"


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_run_stopped_at_any_moment_leaves_old_or_new(folder: Path, stop: signal.Signals) -> None:
    # an export of 6,000 modules takes a while: stopped early, late and in between, the file is whole, old or new
    (folder / "big.yaml").write_text(BIG)
    new = subprocess.run([console_script(), "export", "big.yaml"], cwd=folder, capture_output=True, check=True).stdout
    for delay in (0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5):
        (folder / "net.py").write_bytes(OLD)
        process = subprocess.Popen([console_script(), "export", "big.yaml", "-o", "net.py"], cwd=folder)
        time.sleep(delay)
        process.send_signal(stop)
        process.wait()
        found = (folder / "net.py").read_bytes()
        assert found in (OLD, new)
        for stray in folder.glob(".net.py.*.tmp"):  # a kill leaves the new file unfinished beside: never in place
            stray.unlink()
    assert sorted(os.listdir(folder)) == ["big.yaml", "net.py", "spec.svg", "spec.yaml"]


def test_two_runs_at_once_leave_one_whole_file(folder: Path) -> None:
    (folder / "other.yaml").write_text(SPEC.replace("filters: 4", "filters: 5").replace("tiny", "other"))
    expected = {
        subprocess.run([console_script(), "export", name], cwd=folder, capture_output=True, check=True).stdout
        for name in ("spec.yaml", "other.yaml")
    }
    for _ in range(5):
        runs = [
            subprocess.Popen([console_script(), "export", name, "-o", "net.py"], cwd=folder)
            for name in ("spec.yaml", "other.yaml")
        ]
        assert [process.wait() for process in runs] == [0, 0]
        assert (folder / "net.py").read_bytes() in expected


# -- standard output ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "spec.yaml"],
        ["summary", "spec.yaml", "--format", "json"],
        ["summary", "spec.yaml", "--format", "csv"],
        ["summary", "spec.yaml", "--format", "markdown"],
        ["rf", "spec.yaml"],
        ["check", "spec.yaml"],
        ["export", "spec.yaml"],
        ["convert", "spec.yaml", "--to", "conv"],
        ["draw", "spec.yaml"],
        ["conv", "32x32x3", "-k", "8", "-f", "3"],
        ["examples"],
        ["schema"],
    ],
    ids=lambda argv: "-".join(argv[:1] + argv[2:]),
)
def test_a_full_standard_output_is_exit_2_with_a_message(folder: Path, argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([console_script(), *argv], cwd=folder, stdout=full, stderr=subprocess.PIPE, text=True)
    assert (done.returncode, done.stderr) == (2, "cnncalc: cannot write the output: No space left on device\n")
