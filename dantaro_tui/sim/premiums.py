"""Per-venue kimchi premiums of the simulated market, as the command line writes them.

``--premium bithumb=2.8`` (repeatable) gives one Korean venue its own premium over the bank
rate; venues not named take ``--kimchi-premium``. Only the Korean venues price coins in KRW
with a premium, so naming a global venue is an error rather than a silent no-op.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

KOREAN_VENUES = ("upbit", "bithumb", "coinone")
# A premium outside this range is a typo, not a market (the widest on record is ~50 %).
LIMIT_PCT = 100.0


def parse_premium(text: str) -> tuple[str, float]:
    """``"bithumb=2.8"`` -> ``("bithumb", 2.8)``; ValueError with one sentence otherwise."""
    venue, sep, value = text.partition("=")
    venue = venue.strip().lower()
    if not sep or not venue:
        raise ValueError(f"--premium {text!r}: write it VENUE=PERCENT, e.g. bithumb=2.8")
    if venue not in KOREAN_VENUES:
        raise ValueError(
            f"--premium {text!r}: the premium applies to the Korean venues"
            f" ({', '.join(KOREAN_VENUES)}), not to {venue!r}"
        )
    try:
        pct = float(value.strip().rstrip("%"))
    except ValueError:
        raise ValueError(f"--premium {text!r}: {value.strip()!r} is not a number") from None
    if not math.isfinite(pct) or abs(pct) >= LIMIT_PCT:
        raise ValueError(f"--premium {text!r}: give a percentage between -100 and 100")
    return venue, pct


def parse_premiums(items: Iterable[str]) -> dict[str, float]:
    """Every ``--premium`` flag; the last one of a venue wins."""
    return dict(parse_premium(text) for text in items)
