"""Writing an output where it was asked for, and nowhere else.

Every file a command or the library writes (tables, JSON, figures) goes through :func:`open_output`:

- a regular file (new, or existing) is written atomically: into a temporary file next to it, then
  renamed over it, so that a failure or a signal leaves the old file as it was. The new file gets
  the mode a plain ``open()`` would give (``0o666`` less the umask), or the existing file's mode
  and owner. Through a symbolic link, the link's target is written (next to the target), and the
  link stays a link;
- a character device or a FIFO (``/dev/null``, a named pipe) is written directly: there is nothing
  to rename over it, and replacing it by a regular file would destroy it;
- ``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/1`` (and the same for standard error) are the
  process's own standard streams, written as ``-`` is, whoever owns the terminal or pipe;
- a folder, a socket or a block device is refused.

The temporary file is named ``.<name>.<pid>.<random>.boundcalc-partial``. SIGINT, SIGTERM and
SIGHUP during the write remove it (and then take their usual course); where nothing can run
(SIGKILL, a power cut) the name says what it is, and the next write to the same file removes
partial files whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import stat
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import InputError, OutputError

__all__ = ["Target", "resolve_target", "open_output", "write_output", "PARTIAL_SUFFIX", "STDOUT", "STDERR", "FILE", "DIRECT"]

#: What the last part of a temporary file's name says it is.
PARTIAL_SUFFIX = ".boundcalc-partial"
#: Kinds of target: standard output, standard error, a regular file (atomic), a device or FIFO (direct).
STDOUT, STDERR, FILE, DIRECT = "stdout", "stderr", "file", "direct"
#: Longest file name most file systems take (bytes), when the system does not say.
_NAME_MAX = 255
#: Hex digits of randomness in a temporary name (with the pid: unique among concurrent writers).
_TOKEN_BYTES = 4
#: Signals that remove the temporary file before taking their course.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@dataclass(frozen=True)
class Target:
    """Where an output goes: ``kind`` is :data:`STDOUT`, :data:`STDERR`, :data:`FILE` (written
    atomically at ``path``, the symlink's target where one was given) or :data:`DIRECT` (a
    character device or FIFO, written in place); ``given`` is the path as the caller wrote it."""

    kind: str
    path: Path | None
    given: str

    def name(self) -> str:
        """The output as a message names it."""
        return {STDOUT: "standard output", STDERR: "standard error"}.get(self.kind, self.given)

    def argument(self) -> str | None:
        """The argument an error names: ``output``, unless the output is the default ``-``."""
        return None if self.given == "-" else "output"

    def describe(self) -> str:
        """How the output was written, for a 'wrote …' line."""
        if self.kind == DIRECT:
            return f"{self.given} (not a regular file: written directly, not atomically)"
        if self.kind == FILE and self.path is not None and str(self.path) != os.path.abspath(self.given):
            return f"{self.given} (→ {self.path})"
        return self.given


def _same_file(st: os.stat_result, fd: int) -> bool:
    try:
        other = os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (other.st_dev, other.st_ino)


def resolve_target(path: str | os.PathLike[str]) -> Target:
    """What writing ``path`` means (see the module's docstring); refuses, with
    :class:`~boundcalc.errors.InputError` naming ``output``, a folder, a socket, a block device
    and a file in a folder that does not exist. Nothing is written."""
    given = os.fspath(path)
    if given == "-":
        return Target(STDOUT, None, given)
    if not given:
        raise InputError("an empty file name", argument="output")
    try:
        st: os.stat_result | None = os.stat(given)  # follows symbolic links
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"{given}: {exc.strerror or exc}", argument="output") from None
    if st is not None:
        if given.startswith(("/dev/", "/proc/")):  # /dev/stdout and friends: the process's own streams
            for fd, kind in ((1, STDOUT), (2, STDERR)):
                if _same_file(st, fd):
                    return Target(kind, None, given)
        mode = st.st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{given} is a folder; give a file name", argument="output")
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            return Target(DIRECT, Path(given), given)
        if not stat.S_ISREG(mode):
            what = "socket" if stat.S_ISSOCK(mode) else "block device" if stat.S_ISBLK(mode) else "special file"
            raise InputError(f"{given} is a {what}; give a regular file, a character device or a FIFO", argument="output")
    real = Path(os.path.realpath(given))  # a symbolic link (even a dangling one) writes its target
    folder = real.parent
    if not folder.is_dir():
        raise InputError(f"{given}: the folder {folder} does not exist", argument="output")
    return Target(FILE, real, given)


def _partial_prefix(name: str, folder: Path) -> str:
    """``.<name>.``, shortened so that the whole temporary name fits the file system's limit."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = _NAME_MAX
    room = limit - len(f"..{2**22}.{'0' * 2 * _TOKEN_BYTES}{PARTIAL_SUFFIX}")  # pid up to 7 digits
    raw = os.fsencode(name)
    return "." + os.fsdecode(raw[: max(room, 1)]) + "."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or no way to tell: leave its file alone
        return True
    return True


def _remove_stale(folder: Path, prefix: str) -> None:
    """Remove partial files of ``prefix`` whose writing process no longer exists."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.[0-9a-f]+" + re.escape(PARTIAL_SUFFIX) + "$")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if m and not _alive(int(m.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(folder / name)


class _Interrupted(BaseException):
    """A signal arrived while a temporary file existed (raised by the handler, caught below)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise _Interrupted(signum)


@contextlib.contextmanager
def _signals_raise() -> Iterator[dict[int, Any]]:
    """Within the block, SIGINT/SIGTERM/SIGHUP raise :class:`_Interrupted` (so that the block's
    cleanup runs); signals the process ignores stay ignored. Yields the handlers replaced."""
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():  # handlers can only be set there
        for sig in _SIGNALS:
            old = signal.getsignal(sig)
            if old in (signal.SIG_IGN, None):  # ignored (nohup), or set outside Python: not ours to change
                continue
            previous[sig] = old
            signal.signal(sig, _raise_interrupted)
    try:
        yield previous
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _take_its_course(signum: int, handler: Any, target: Target) -> None:
    """After the cleanup, the signal does what it would have done without us."""
    if callable(handler):
        handler(signum, None)  # SIGINT's default raises KeyboardInterrupt; a caller's handler runs
    elif handler == signal.SIG_DFL:
        os.kill(os.getpid(), signum)  # the handler is restored: the process ends as the signal says
    raise OutputError(f"{target.given}: interrupted by signal {signum}; not written", argument="output")


@contextlib.contextmanager
def open_output(path: str | os.PathLike[str] | Target, binary: bool = False) -> Iterator[IO[Any]]:
    """A file object to write the output into (text: UTF-8). On a normal exit from the block
    the output is complete where it was asked for (see the module docstring); on an exception
    or a signal nothing is left but the old file. Errors of the system (a full disk, a closed
    stream) are :class:`~boundcalc.errors.OutputError` naming ``output``; a closed pipe stays
    the BrokenPipeError it is (the caller decides how quietly to stop)."""
    target = path if isinstance(path, Target) else resolve_target(path)
    try:
        if target.kind in (STDOUT, STDERR):
            stream = sys.stdout if target.kind == STDOUT else sys.stderr
            if stream is None:
                raise OutputError(f"{target.name()} is closed", argument=target.argument())
            yield stream.buffer if binary else stream
            stream.flush()
        elif target.kind == DIRECT:
            assert target.path is not None
            with _fdopen(os.open(target.path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)), binary) as fh:
                yield fh
        else:
            with _signals_raise() as handlers:
                try:
                    with _atomic(target, binary) as fh:
                        yield fh
                except _Interrupted as exc:
                    for sig, old in handlers.items():
                        signal.signal(sig, old)
                    _take_its_course(exc.signum, handlers.get(exc.signum, signal.SIG_DFL), target)
    except (BrokenPipeError, OutputError):
        raise
    except OSError as exc:
        raise OutputError(f"{target.name()}: {exc.strerror or exc}", argument=target.argument()) from None


@contextlib.contextmanager
def _atomic(target: Target, binary: bool) -> Iterator[IO[Any]]:
    assert target.path is not None
    real = target.path
    folder = real.parent
    prefix = _partial_prefix(real.name, folder)
    _remove_stale(folder, prefix)
    try:
        old: os.stat_result | None = os.stat(real)
    except OSError:
        old = None
    fd, tmp = _create(folder, prefix, target)
    try:
        _keep_mode_and_owner(fd, old, target)
        with _fdopen(fd, binary) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, real)
    except BaseException:
        _unlink(tmp)
        raise


def _fdopen(fd: int, binary: bool) -> IO[Any]:
    return os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")


def _create(folder: Path, prefix: str, target: Target) -> tuple[int, Path]:
    """A new temporary file, created with mode 0o666 so that the umask applies as for open()."""
    for _ in range(100):
        tmp = folder / f"{prefix}{os.getpid()}.{secrets.token_hex(_TOKEN_BYTES)}{PARTIAL_SUFFIX}"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{target.given}: cannot write there ({exc.strerror or exc})", argument="output") from None
    raise OutputError(f"{target.given}: no free temporary name in {folder}", argument="output")


def _keep_mode_and_owner(fd: int, old: os.stat_result | None, target: Target) -> None:
    """An existing file's owner and mode carry over to its replacement (owner where allowed)."""
    if old is None:
        return
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid) and hasattr(os, "fchown"):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except PermissionError:
            warnings.warn(f"output: {target.given} was owned by uid {old.st_uid}, gid {old.st_gid}; the new file is "
                          "yours (only the owner's mode is kept)", stacklevel=4)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after fchown, which clears set-id bits


def _unlink(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def write_output(path: str | os.PathLike[str], data: str | bytes) -> Target:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` through :func:`open_output`;
    returns where it went."""
    target = resolve_target(path)
    with open_output(target, binary=isinstance(data, bytes)) as fh:
        fh.write(data)
    return target
