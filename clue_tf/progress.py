"""Progress of long loops: Keras's bar on a terminal, plain lines in a redirected log.

Keras's Progbar treats every POSIX stdout as a terminal and writes ANSI colour codes and
backspaces into log files; where stdout is not a terminal this prints one plain line per
`interval` seconds (and at the end) instead, in the shape of Keras's `verbose=2` lines.
"""

import sys
import time
from typing import Iterable, Optional


class Progress:
    """`update(current, values)` as Keras's Progbar; `values` are (name, number) pairs shown
    as they are (the caller's running metrics)."""

    def __init__(self, target: int, unit_name: str = "step", interval: float = 30.0, stream=None):
        import keras

        self.stream = stream or sys.stdout
        self.target, self.unit_name, self.interval = target, unit_name, interval
        terminal = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.bar = keras.utils.Progbar(target, stateful_metrics=None, unit_name=unit_name) if terminal else None
        self.first: Optional[tuple[int, float]] = None
        self.last_line = float("-inf")

    def update(self, current: int, values: Iterable[tuple[str, float]] = ()) -> None:
        values = list(values)
        if self.bar is not None:
            self.bar.update(current, values=values)
            return
        now = time.monotonic()
        if self.first is None:
            self.first = (current, now)
            return
        if current < self.target and now - self.last_line < self.interval:
            return
        self.last_line = now
        self.stream.write(self.line(current, now, values) + "\n")
        self.stream.flush()

    def line(self, current: int, now: float, values: list) -> str:
        """`step 200/600 - 41 s - 4.9 steps/s - loss: 1.2345 ...`: the rate since the first update."""
        done, start = self.first
        elapsed = now - start
        rate = (current - done) / elapsed if elapsed > 0 else 0.0
        shown = "".join(f" - {name}: {value:.4f}" for name, value in values)
        return f"{self.unit_name} {current}/{self.target} - {elapsed:.0f} s - {rate:.3g} {self.unit_name}s/s{shown}"
