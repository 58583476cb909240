"""A progress bar on the terminal for long runs. The work reports stages and steps through the
module-level functions, which cost next to nothing while no bar is shown; `shown()` turns the bar on
for a block (the command line does this when standard error is a terminal). Nothing is drawn until
the run has taken `after` seconds, so quick runs print nothing at all."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

WIDTH = 24


class Bar:
    def __init__(self, stream, after: float):
        self.stream, self.after = stream, after
        self.start = time.monotonic()
        self.name, self.done = "", 0
        self.total: int | None = None
        self.drawn_at = 0.0
        self.drawn = False

    def stage(self, name: str, total: int | None) -> None:
        self.name, self.total, self.done = name, total, 0
        self.draw(force=True)

    def advance(self, done: int) -> None:
        self.done = done
        self.draw()

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.start < self.after or (not force and now - self.drawn_at < 0.1):
            return
        self.drawn_at, self.drawn = now, True
        if self.total:
            share = min(self.done, self.total) / self.total
            filled = int(share * WIDTH)
            bar = f"[{'#' * filled}{'.' * (WIDTH - filled)}] {share:4.0%}"
        else:
            bar = "[" + " " * WIDTH + "]     "
        self.stream.write(f"\rderive: {self.name:<16.16} {bar} {now - self.start:6.1f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * (WIDTH + 44) + "\r")
            self.stream.flush()


_bar: Bar | None = None


def stage(name: str, total: int | None = None) -> None:
    """A new stage of the work, with how many steps it has (None: not counted)."""
    if _bar is not None:
        _bar.stage(name, total)


def advance(done: int) -> None:
    """`done` steps of the current stage are finished."""
    if _bar is not None:
        _bar.advance(done)


@contextmanager
def shown(stream=None, after: float = 2.0, enabled: bool | None = None):
    """Show the bar on `stream` (standard error) for the block, if `enabled` (default: when the
    stream is a terminal), once the block has run for `after` seconds; the line is cleared at the end."""
    global _bar
    stream = stream or sys.stderr
    if enabled is None:
        enabled = stream.isatty()
    if not enabled or _bar is not None:
        yield
        return
    _bar = Bar(stream, after)
    try:
        yield
    finally:
        _bar.close()
        _bar = None
