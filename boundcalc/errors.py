"""The library's error types: every refusal of a caller's input is one of these.

They subclass the built-in types callers already catch (ValueError, TypeError, ImportError), and
carry the name of the argument at fault in the API's own terms (``draws``, ``k``, ``path``…), so
that a front end (the command line) can name its own option instead. Anything else that escapes
the library is a bug and is left to show its traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = ["InputError", "InputTypeError", "MissingExtraError", "OutputError", "renamed_arguments", "BoundcalcError"]

_PREFIX = re.compile(r"([A-Za-z_]\w*):\s")
#: Longest message kept: one screen line or two.
_MAX_MESSAGE = 300


class BoundcalcError(Exception):
    """Base of the library's own errors; ``argument`` names the API argument at fault (or None)."""

    argument: str | None
    detail: str

    def _init(self, message: str, argument: str | None) -> str:
        if argument is None:
            m = _PREFIX.match(message)
            if m:
                argument, message = m.group(1), message[m.end() :]
        if len(message) > _MAX_MESSAGE:  # a huge cell or token quoted back must not flood the screen
            message = f"{message[: _MAX_MESSAGE - 40]}… ({len(message):,} characters)"
        self.argument, self.detail = argument, message
        return f"{argument}: {message}" if argument else message

    def renamed(self, argument: str) -> BoundcalcError:
        """The same error, attributed to ``argument``."""
        new = type(self)(self.detail, argument)
        new.__cause__ = self.__cause__
        return new


class InputError(BoundcalcError, ValueError):
    """A value outside what the function accepts. ``InputError("k: must be ≥ 0")`` names
    ``k`` from the message's prefix; ``InputError(text, argument="path")`` names it explicitly."""

    def __init__(self, message: str, argument: str | None = None):
        ValueError.__init__(self, self._init(message, argument))


class InputTypeError(BoundcalcError, TypeError):
    """A value of the wrong type (a string where a number is expected, a float for a count…)."""

    def __init__(self, message: str, argument: str | None = None):
        TypeError.__init__(self, self._init(message, argument))


class MissingExtraError(BoundcalcError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""

    def __init__(self, message: str, argument: str | None = None):
        ImportError.__init__(self, self._init(message, argument))


class OutputError(BoundcalcError, OSError):
    """An output could not be written (a full disk, a closed stream, a signal during the write);
    ``argument`` names the output. Nothing partial is left behind."""

    def __init__(self, message: str, argument: str | None = None):
        OSError.__init__(self, self._init(message, argument))


@contextmanager
def renamed_arguments(mapping: Mapping[str | None, str]) -> Iterator[None]:
    """Re-attribute library errors raised inside the block: argument ``a`` becomes
    ``mapping[a]`` (``None`` in the mapping catches errors that name no argument)."""
    try:
        yield
    except BoundcalcError as exc:
        if exc.argument in mapping:
            raise exc.renamed(mapping[exc.argument]) from exc.__cause__
        raise
