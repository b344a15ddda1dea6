"""The output directory: checked before anything is written, and locked while in use."""

from __future__ import annotations

import errno
import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import reportgen
from reportgen.errors import ConfigError, RunError

LOCK_NAME = ".reportgen.lock"
# What a build writes at the top of the output directory. Something of the
# other kind in one of these places is refused before any work, so the build
# cannot fail half-way through writing the report.
DIRECTORIES = ("results", "figures", "data", "paper")
FILES = ("index.html", "report.md", LOCK_NAME)


def source_tree() -> Path:
    """The directory holding the reportgen package (the repository root when run from a checkout)."""
    return Path(reportgen.__file__).resolve().parent.parent


def check_output_dir(out: Path) -> Path:
    """Refuse paths that would overwrite the source or cannot be written; return the resolved path."""
    out = Path(out).expanduser().resolve()
    package = Path(reportgen.__file__).resolve().parent
    tree = source_tree()
    if out == tree or out in tree.parents:
        raise ConfigError(f"--out {out}: is the source tree or a parent of it; choose a separate directory such as {tree / 'output'}")
    if out == package or package in out.parents:
        raise ConfigError(f"--out {out}: is inside the reportgen package; choose a separate directory")
    if (tree / "pyproject.toml").exists() and tree / "templates" in (out, *out.parents):
        raise ConfigError(f"--out {out}: is inside the templates; choose a separate directory")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"--out {out}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: {existing} is not writable")
    for name in DIRECTORIES:
        if (out / name).exists() and not (out / name).is_dir():
            raise ConfigError(f"--out {out}: {out / name} is in the way: reportgen writes a directory there; move it or choose another --out")
    for name in FILES:
        if (out / name).is_dir():
            raise ConfigError(f"--out {out}: {out / name} is in the way: reportgen writes a file there; move it or choose another --out")
    return out


# Descriptors of the locks this process holds. A forked worker closes its copies at
# once: flock belongs to the open file, so a worker that kept one would keep the
# lock after its parent died, and every later build would be refused.
_held_locks: set[int] = set()


def _release_in_child() -> None:
    for descriptor in _held_locks:
        os.close(descriptor)
    _held_locks.clear()


os.register_at_fork(after_in_child=_release_in_child)


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` so two builds never interleave their files."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise ConfigError(f"--out {out}: cannot create the directory or its lock file: {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise RunError(f"--out {out}: another reportgen is writing there now; wait for it to finish or choose another --out") from None
            raise
        _held_locks.add(descriptor)
        try:
            yield
        finally:
            _held_locks.discard(descriptor)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
