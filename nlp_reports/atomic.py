"""Write a file so that readers see the old version or the new one, never half of one: a failed
write (full disk, a crash, Ctrl-C) leaves any earlier file whole and no temporary file behind."""
from __future__ import annotations

import contextlib
import os
import tempfile

from .errors import StoreError


def write_text_atomic(path, text: str, encoding: str = "utf-8") -> None:
    write_atomic(path, lambda fh: fh.write(text.encode(encoding)))


def write_atomic(path, writer) -> None:
    """Call writer(binary file) on a temporary file beside `path`, then rename it over `path`.
    StoreError (one line) if the folder or the disk refuses."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise StoreError("is a folder, not a file", path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    except OSError as exc:
        raise StoreError(f"cannot write here ({exc.strerror or exc})", path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; an output gets the usual mode
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise StoreError(f"cannot write ({exc.strerror or exc})", path) from None
    except BaseException:
        _remove(tmp)
        raise
    _sync_folder(folder)


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (after a power cut the folder names the new file)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
