#!/usr/bin/env python3
"""Strip ANSI/VT100 escape sequences from UEFI serial console output.

OVMF's serial terminal (COM1) decorates everything written to ConOut with escape
sequences (colours, cursor moves, charset selects) and \\r\\n line ends. Tests want
plain lines, so everything that reads serial.log goes through this module.

Removed:
  * CSI sequences      ESC [ <params 0x30-0x3f>* <intermediates 0x20-0x2f>* <final 0x40-0x7e>
                       e.g. ESC[0m  ESC[40m  ESC[2J  ESC[01;01H  ESC[?25l
  * OSC strings        ESC ] ... BEL | ESC \\
  * charset selects    ESC ( B   ESC ) 0   (also ESC * x, ESC + x, ...)
  * other 2-byte ESCs  ESC c (reset), ESC 7, ESC 8, ESC =, ESC >, ...
  * any stray ESC left over, and every \\r
Everything else (including \\n, \\t and non-ASCII text) is kept.

Usage:
  as a module:   from strip_ansi import strip_ansi; clean = strip_ansi(text)
                 AnsiStripper().feed(chunk) for streams (keeps a partial escape
                 at a chunk end until the rest arrives)
  as a filter:   strip_ansi.py < serial.log > serial.txt
  as a follower: strip_ansi.py --follow serial.log
                 prints the file as it grows (like tail -f from the start) until it
                 gets SIGTERM/SIGINT/SIGHUP or its parent dies; it then prints
                 whatever is still unread and exits 0, so the last lines written by
                 the guest are never lost (tail -f killed at the end can lose them).
                 strip_ansi.py --follow serial.log --timeline timeline.txt
                 also writes each complete line to timeline.txt as
                 "<seconds since the follower started, 0.1 s resolution> <line>":
                 where a boot's wall-clock time goes. With --quiet nothing is
                 printed (only the timeline is written).
"""
import codecs
import os
import re
import signal
import sys
import time

_ESC_RE = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]          # CSI
    | \x1b\] .*? (?:\x07|\x1b\\)          # OSC, ended by BEL or ST
    | \x1b [()*+\-./] .                   # designate charset: ESC ( B, ESC ) 0
    | \x1b [ -/]* [0-Z\\^-~]              # other escapes: ESC c, ESC 7, ESC = (not [ or ])
    """,
    re.VERBOSE | re.DOTALL,
)

# A partial escape at the end of a stream chunk longer than this is not a real
# escape sequence; emit it rather than hold output back forever.
_MAX_PENDING = 64


def strip_ansi(text: str) -> str:
    """Return text without escape sequences, stray ESCs and carriage returns."""
    return _ESC_RE.sub("", text).replace("\r", "").replace("\x1b", "")


class AnsiStripper:
    """Incremental stripper: escape sequences may be split across chunks."""

    def __init__(self):
        self._pending = ""

    def feed(self, text: str) -> str:
        buf = self._pending + text
        self._pending = ""
        i = buf.rfind("\x1b")
        if i != -1 and len(buf) - i < _MAX_PENDING and not _ESC_RE.match(buf, i):
            # the last ESC does not (yet) start a complete sequence: keep it
            buf, self._pending = buf[:i], buf[i:]
        return strip_ansi(buf)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return strip_ansi(rest)


def _decoder():
    # OVMF mostly writes ASCII; anything undecodable (e.g. CP437 box drawing in
    # PC-ANSI mode) becomes U+FFFD instead of raising.
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def _write(out, text: str) -> bool:
    """Write and flush; return False once the reader has gone away."""
    if not text:
        return True
    try:
        out.write(text.encode("utf-8"))
        out.flush()
        return True
    except (BrokenPipeError, OSError):
        return False


def filter_stream(inp, out) -> None:
    dec, strip = _decoder(), AnsiStripper()
    while True:
        data = inp.read(65536)
        if not data:
            break
        _write(out, strip.feed(dec.decode(data)))
    _write(out, strip.feed(dec.decode(b"", final=True)) + strip.flush())


class Timeline:
    """Writes complete lines with the time they were seen."""

    def __init__(self, f, clock=time.monotonic):
        self._f, self._clock = f, clock
        self._start = clock()
        self._partial = ""

    def feed(self, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        now = self._clock() - self._start
        for line in lines:
            self._f.write("%.1f %s\n" % (now, line))
        if lines:
            self._f.flush()

    def close(self) -> None:
        if self._partial:
            self.feed("\n")
        self._f.close()


def follow(path: str, out, poll: float = 0.1, timeline: "Timeline" = None) -> int:
    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    parent = os.getppid()
    dec, strip = _decoder(), AnsiStripper()
    f = None
    alive = True  # False once stdout is gone: keep running quietly, never block the run
    while True:
        last_round = stop or os.getppid() != parent
        if f is None:
            try:
                f = open(path, "rb")
            except FileNotFoundError:
                f = None
        if f is not None:
            while True:
                data = f.read(65536)
                if not data:
                    break
                text = strip.feed(dec.decode(data))
                if timeline is not None:
                    timeline.feed(text)
                if alive:
                    alive = _write(out, text)
        if last_round:
            text = strip.feed(dec.decode(b"", final=True)) + strip.flush()
            if timeline is not None:
                timeline.feed(text)
                timeline.close()
            if alive:
                _write(out, text)
            return 0
        time.sleep(poll)


def _stdout():
    # sys.stdout is None when the process was started with fd 1 closed.
    if sys.stdout is None:
        return open(os.devnull, "wb")
    return sys.stdout.buffer


def main(argv) -> int:
    args = argv[1:]
    if not args:
        filter_stream(sys.stdin.buffer, _stdout())
        return 0
    if len(args) >= 2 and args[0] == "--follow":
        path, rest, timeline, quiet = args[1], args[2:], None, False
        while rest:
            if rest[0] == "--timeline" and len(rest) >= 2:
                timeline = Timeline(open(rest[1], "w"))
                rest = rest[2:]
            elif rest[0] == "--quiet":
                quiet, rest = True, rest[1:]
            else:
                break
        if not rest:
            return follow(path, open(os.devnull, "wb") if quiet else _stdout(), timeline=timeline)
    sys.stderr.write("usage: strip_ansi.py [--follow FILE [--timeline OUT] [--quiet]]"
                     "  (filter: stdin -> stdout)\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
