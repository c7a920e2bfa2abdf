"""Atomic writes: a reader sees a file or folder whole or not at all, never half-written.

Everything the package writes for a user goes through here: files are written beside their
destination and renamed over it; folders are built under a temporary name and renamed into
place when complete. A failure or an interrupt leaves the destination as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sim.errors import DataError


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block ends without error it becomes `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text to `path` atomically; return the path."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def atomic_folder(final: str | Path, replace: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside `final`; when the block ends it becomes `final`.

    With `replace`, an existing `final` is swapped out and removed only after the new folder
    is in place; without it, `final` must not exist (os.replace fails on a non-empty folder).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; users expect an ordinary folder
    old = None
    try:
        yield tmp
        if replace and final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old.", dir=final.parent))
            final.rename(old / final.name)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not final.exists():
            (old / final.name).rename(final)  # put the user's folder back
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


MARKER = ".written-by-sim"
"""A file in each folder a command writes whole, naming the command, so --force knows it."""


def check_destination(folder: str | Path, command: str, force: bool = False, inputs: tuple = ()) -> None:
    """Refuse a destination whose replacement would lose a user's files (DataError).

    A file, a folder holding one of the command's `inputs`, or a non-empty folder is refused;
    with `force`, a folder this `command` wrote before (it holds the marker) may be replaced.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder}: is a file, not a folder; give a new folder for the output")
    where = folder.resolve()
    for item in inputs:
        item = Path(item).resolve()
        if item == where or where in item.parents:
            raise DataError(f"{folder}: holds the input {item.name}; write the output to another folder")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    ours = (folder / MARKER).is_file() and (folder / MARKER).read_text(encoding="utf-8").strip() == command
    if not force:
        hint = f", or add --force to replace the earlier `sim {command}` output there" if ours else ""
        raise DataError(f"{folder}: is not empty; give a new folder{hint}")
    if not ours:
        raise DataError(f"{folder}: was not written by `sim {command}`; --force replaces only its own output")


def mark(folder: str | Path, command: str) -> None:
    """Mark a folder as written by `command` (see check_destination)."""
    (Path(folder) / MARKER).write_text(command + "\n", encoding="utf-8")
