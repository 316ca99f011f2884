"""Where a command's output goes: standard output, or a file that appears whole or not at all.

One rule for every file cnncalc writes (`export -o`, `convert -o`, `draw -o`), as editors, pip and git write:
- `-` is standard output;
- a regular file is written beside its place under another name, then renamed over it once whole: a failure
  (a full disk, Ctrl-C, a kill) leaves the old file byte for byte, and two runs at once leave one whole file;
- a symlink is followed: the file it names is replaced, and the link stays;
- the new file keeps the old one's permissions and, where the system lets it, its owner; a new file gets what
  any new file gets (0o666 less the umask);
- what is no regular file (a device such as /dev/null, a FIFO) is written to in place: there is nothing to
  replace; a directory is refused;
- the spec being read is never written over, whatever the name it is reached by (a symlink, a hard link).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable

from .diagnostics import Refused

STDOUT = "-"


class CannotWrite(Refused):
    """An output that was not written (nothing was changed); the message says why."""


def same_file(output: str, source: str | None) -> bool:
    """Whether `output` is the file `source` (a spec path; None or `-` for none) by identity, not by name."""
    if source is None or source == STDOUT or output == STDOUT:
        return False
    try:
        return os.path.samefile(output, source)
    except (OSError, ValueError):  # one of them does not exist, or cannot be looked at: not the same file
        return False


def write_output(data: bytes, output: str, source: str | None = None) -> None:
    """Write `data` to `output` by the rule above; CannotWrite, with nothing changed, where it cannot be."""
    if output == STDOUT:
        write_stdout(data)
        return
    if same_file(output, source):
        raise CannotWrite(f"{output} is the spec being read: it is not written over")
    target = os.path.realpath(output)
    try:
        found = os.stat(target)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise CannotWrite(f"cannot write {output}: {exc.strerror or exc}") from None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise CannotWrite(f"cannot write {output}: it is a directory")
    try:
        if found is not None and not stat.S_ISREG(found.st_mode):
            with open(target, "wb") as stream:
                stream.write(data)
        else:
            _replace(target, data, found)
    except OSError as exc:
        raise CannotWrite(f"cannot write {output}: {exc.strerror or exc}") from None


def _replace(target: str, data: bytes, found: os.stat_result | None) -> None:
    """Write `data` to a new file beside `target`, then rename it over `target`; on any failure, remove it."""
    folder, name = os.path.split(target)
    temporary, descriptor = _new_file(folder, name)
    try:
        if found is not None:
            os.fchmod(descriptor, stat.S_IMODE(found.st_mode))
            try:
                os.fchown(descriptor, found.st_uid, found.st_gid)
            except OSError:  # only root may give a file away: it then belongs to whoever wrote it
                pass
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)  # on the disk before the rename makes it the file: a crash leaves old or new
        os.close(descriptor)
        descriptor = -1
        os.replace(temporary, target)
    except BaseException:  # a write error, Ctrl-C: the old file stays as it was, and the new one goes
        if descriptor >= 0:
            os.close(descriptor)
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _new_file(folder: str, name: str) -> tuple[str, int]:
    """A new, empty file beside `name` in `folder`, created as `open` would create it (0o666 less the umask)."""
    for _ in range(100):
        temporary = os.path.join(folder or ".", f".{name}.{os.urandom(4).hex()}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free name for a new file beside {name}")


def write_text(chunks: Iterable[str]) -> None:
    """A document's text to standard output in UTF-8 whatever the terminal's encoding, piece by piece.

    A lone surrogate (YAML reads `"\\ud800"` in a name) has no UTF-8: it is written as JSON's escape of it.
    """
    sys.stdout.flush()
    buffer = sys.stdout.buffer
    for chunk in chunks:
        buffer.write(chunk.encode("utf-8", "backslashreplace"))
    buffer.flush()


def write_stdout(data: bytes) -> None:
    """Bytes to standard output, after what was printed before them."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
