"""The venues of the kimchi premium and their standard taker fees (no imports: the settings
reader uses them without loading the analytics)."""

from __future__ import annotations

KOREAN_VENUES = ("upbit", "bithumb", "coinone")
GLOBAL_VENUES = ("binance", "okx", "gateio")
VENUES = KOREAN_VENUES + GLOBAL_VENUES
# Standard-tier spot taker fees, %: what a trader without a VIP tier or coupon pays
# (Bithumb's KRW market with its standard fee coupon).
TAKER_FEE_PCT: dict[str, float] = {
    "upbit": 0.05,
    "bithumb": 0.04,
    "coinone": 0.2,
    "binance": 0.1,
    "okx": 0.1,
    "gateio": 0.2,
}
