"""Raw-frame taps: every connection reports what crossed the wire, exactly as it crossed.

A tap is registered on a ``FeedHub`` (the recorder, a Redis publisher); with none
registered the cost on the hot path is one truthiness check per frame. A frame is tapped
once however many owners receive it: the hub shares one connection per endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

TapKind = Literal["connect", "disconnect", "send", "recv", "rest"]


class TapRecord(msgspec.Struct, frozen=True, gc=False):
    kind: TapKind
    ts_ns: int  # local wall-clock time, ns since epoch (receive time for "recv")
    exchange: str
    url: str
    conn_id: str  # unique per connection attempt in this process
    data: bytes | str | None = None  # the frame as the wire delivered it; reason for disconnect
    # "rest": a REST reply the hub fetched for a codec (a book snapshot); ``url`` is the
    # request's full URL and ``data`` the body.


Tap = Callable[[TapRecord], None]
