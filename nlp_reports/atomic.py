"""Write a file so that readers see the old version or the new one, never half of one."""
from __future__ import annotations

import os
import tempfile

from .errors import StoreError


def write_text_atomic(path, text: str, encoding: str = "utf-8") -> None:
    write_atomic(path, lambda fh: fh.write(text.encode(encoding)))


def write_atomic(path, writer) -> None:
    """Call writer(binary file) on a temporary file beside `path`, then rename it over `path`."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    except OSError as exc:
        raise StoreError(f"cannot write here ({exc.strerror})", path) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output file gets the usual mode
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise StoreError(f"cannot write ({exc.strerror})", path) from None
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
