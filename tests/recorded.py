"""Reader for the real recorded exchange sessions (cryptofeed ``sample_data`` format).

Line forms: ``URL <-> TS`` (connection opened), ``URL <- TS: PAYLOAD`` (client sent),
``TS: PAYLOAD`` (frame received; ``b'...'`` = binary), ``URL -> TS: BODY`` (REST body).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RECORDED = REPO.parent / "shared" / "fixtures" / "recorded"

_RECV = re.compile(r"^(\d+\.\d+): (.*)$", re.S)
_SENT = re.compile(r"^(\S+) <- (\d+\.\d+): (.*)$", re.S)
_REST = re.compile(r"^(\S+) -> (\d+\.\d+): (.*)$", re.S)


@dataclass(frozen=True)
class Recorded:
    received: list[tuple[float, str | bytes]]  # (receive time, frame as delivered)
    sent: list[tuple[str, float, str]]  # (url, time, payload)
    rest: list[tuple[str, float, str]]  # (url, time, body)


def path(name: str) -> Path:
    p = RECORDED / name
    if not p.exists():
        pytest.skip(f"recorded fixture {name} not present beside the checkout")
    return p


def load(name: str) -> Recorded:
    received: list[tuple[float, str | bytes]] = []
    sent: list[tuple[str, float, str]] = []
    rest: list[tuple[str, float, str]] = []
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("configuration:") or " <-> " in line[:200]:
            continue
        if m := _SENT.match(line):
            sent.append((m[1], float(m[2]), m[3]))
        elif m := _REST.match(line):
            rest.append((m[1], float(m[2]), m[3]))
        elif m := _RECV.match(line):
            payload = m[2]
            binary = payload.startswith(("b'", 'b"'))
            frame: str | bytes = ast.literal_eval(payload) if binary else payload
            received.append((float(m[1]), frame))
    return Recorded(received, sent, rest)
