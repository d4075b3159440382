"""A recorded frame cannot drive the terminal that replays it.

``replay --headless`` prints the errors the feed reported; they quote the exchange. An
error frame carrying OSC 52 (clipboard write), OSC 2 (window title) and CSI 2J (clear
screen) must reach the printed summary as plain text.
"""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from rich.console import Console

from dantaro_tui.recording.recorder import Recorder
from dantaro_tui.recording.replay import replay_headless, summary_renderable
from tests.recording.helpers import feed, session, upbit_frames

T0 = 1_700_000_000_000_000_000
ATTACK = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b]2;pwned\x07\x1b[2J\x9b2J"


def test_headless_summary_prints_no_control_characters(tmp_path: Path) -> None:
    frames = upbit_frames()[:20]
    error = orjson.dumps({"error": {"name": f"NO_TYPE{ATTACK}", "message": f"nope {ATTACK}"}})
    unreadable = f"oops {ATTACK}".encode()
    with Recorder(tmp_path) as rec:
        feed(rec, session([*frames, error, unreadable], start_ns=T0))
    summary = replay_headless(tmp_path)
    assert len(summary.errors) == 2
    out = io.StringIO()
    Console(file=out, width=400, color_system=None, force_terminal=False).print(
        summary_renderable(summary)
    )
    text = out.getvalue()
    assert "nope" in text and "pwned" in text  # the words are kept, as text
    for ch in ("\x1b", "\x07", "\x9b"):
        assert ch not in text
