"""SIGTERM as an exception (``Interrupted``) while a build or a batch runs, so clean-up code runs
and the command exits non-zero.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class Interrupted(KeyboardInterrupt):
    """The process received SIGINT or SIGTERM (``signum``); clean-up ran on the way out.

    A ``KeyboardInterrupt``, so ``except Exception`` never swallows it. The command
    line exits with ``128 + signum`` (130 for Ctrl-C, 143 for SIGTERM).
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}")


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Interrupted` (where SIGTERM would
    otherwise kill the process without clean-up); restored afterwards.

    Does nothing outside the main thread or when a program installed its own handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
