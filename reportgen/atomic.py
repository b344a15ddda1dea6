"""Write files so that a reader never sees a half-written one.

Each file goes to a temporary name in the same directory and is renamed into
place (``os.replace`` is atomic on POSIX), so an interrupted build leaves the
previous file whole.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The name is chosen before the file exists, so an interrupt at any point,
    # even inside open(), leaves nothing the cleanup below does not know of.
    temporary = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
