"""A progress bar on standard error while a detector trains
(``verbose=True``), in tqdm's format."""

import sys
import time


class ProgressBar:
    """Called by the engine after each epoch as ``bar(done, total, loss)``;
    redraws at most every ``interval`` seconds, and at the end."""

    def __init__(self, label, stream=None, width=24, interval=0.1):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interval = interval
        self.start = time.monotonic()
        self.drawn = None
        self.open = False

    def __call__(self, done, total, loss):
        total = max(total, done, 1)
        now = time.monotonic()
        if done < total and self.drawn is not None and now - self.drawn < self.interval:
            return
        self.drawn = now
        elapsed = now - self.start
        left = elapsed / done * (total - done) if done else 0.0
        filled = self.width * done // total
        bar = "█" * filled + " " * (self.width - filled)
        self.stream.write(
            f"\r{self.label}: {100 * done // total:3d}%|{bar}| {done}/{total} "
            f"[{_clock(elapsed)}<{_clock(left)}, loss={loss:.5g}]"
        )
        self.open = done < total
        if not self.open:
            self.stream.write("\n")
        self.stream.flush()

    def close(self):
        """Ends the line if the last report did not (training stopped early)."""
        if self.open:
            self.stream.write("\n")
            self.stream.flush()
            self.open = False


def _clock(seconds):
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
