"""What an alert says on a phone: a :class:`Notice` and its words in Korean or English.

A notice carries facts (market, names, the value and the level it crossed), not a
sentence, so each language writes its own; the market's Korean name is in both, as
Korean traders know their coins by it. Every word that came from an exchange (names,
feed errors) is stripped of control characters first. A demo notice says DEMO in its title
so a simulated price is never taken for a real one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dantaro_tui.exchanges.sanity import clean
from dantaro_tui.services.watch_config import Language

NoticeKind = str  # price_above price_below move_up move_down volume_spike pump dump
# premium_above premium_below feed_down feed_up


@dataclass(frozen=True, slots=True)
class Notice:
    rule: str
    kind: NoticeKind
    market: str = ""
    korean_name: str = ""
    english_name: str = ""
    value: float = 0.0  # the price, the % move, the premium %, the spike ratio, seconds down
    level: float = 0.0  # the threshold crossed
    price: float = 0.0  # the market's last price, where it is not the value itself
    window_s: float = 0.0
    quote: str = ""
    detail: str = ""  # the source's own words (an alert's message, a feed's error)
    time_ms: int = 0  # when it happened (exchange time where known)
    demo: bool = False
    created: float = field(default_factory=time.monotonic, compare=False)

    @property
    def dedupe_key(self) -> tuple[str, str, str, float]:
        return (self.rule, self.kind, self.market, self.level)


def _price(value: float, quote: str, lang: Language) -> str:
    text = f"{value:,.0f}" if value >= 1000 else f"{value:,.8g}"
    return f"{text}원" if quote == "KRW" and lang == "ko" else f"{text} {quote}".rstrip()


def _span(seconds: float, lang: Language) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        n, ko, en = int(seconds // 3600), "시간", "h"
    elif seconds >= 60 and seconds % 60 == 0:
        n, ko, en = int(seconds // 60), "분", " min"
    else:
        n, ko, en = int(seconds), "초", " s"
    return f"{n}{ko}" if lang == "ko" else f"{n}{en}"


def _who(notice: Notice, lang: Language) -> str:
    korean = clean(notice.korean_name)
    english = clean(notice.english_name)
    if not notice.market:
        return ""
    if lang == "ko":
        return f"{korean or english} ({notice.market})" if korean or english else notice.market
    if korean and english and korean != english:
        return f"{notice.market} {korean} ({english})"
    return f"{notice.market} {korean or english}".rstrip()


def render(notice: Notice, lang: Language) -> tuple[str, str]:
    """(title, body) of ``notice`` in ``lang``."""
    title, body = (_korean if lang == "ko" else _english)(notice)
    if notice.demo:
        title = f"[{'데모' if lang == 'ko' else 'DEMO'}] {title}"
    stamp = time.strftime("%H:%M:%S", time.localtime((notice.time_ms or time.time() * 1000) / 1000))
    return title, f"{body}\n{stamp} · {clean(notice.rule)}"


def _korean(n: Notice) -> tuple[str, str]:
    who = _who(n, "ko")
    k = n.kind
    if k in ("price_above", "price_below"):
        word = "돌파" if k == "price_above" else "하향 돌파"
        return (
            f"{who} {_price(n.level, n.quote, 'ko')} {word}",
            f"현재가 {_price(n.value, n.quote, 'ko')}",
        )
    if k in ("move_up", "move_down"):
        word = "급등" if k == "move_up" else "급락"
        return (
            f"{who} {_span(n.window_s, 'ko')} {n.value:+.2f}% {word}",
            f"{_span(n.window_s, 'ko')} 동안 {n.value:+.2f}% (기준 ±{n.level:g}%)",
        )
    now = f" · 현재가 {_price(n.price, n.quote, 'ko')}" if n.price > 0 else ""
    if k == "volume_spike":
        return f"{who} 거래량 급증", f"최근 1분 거래대금이 평소의 {n.value:.1f}배{now}"
    if k in ("pump", "dump"):
        word = "급등" if k == "pump" else "급락"
        return (
            f"{who} {word} {n.value * 100:+.2f}% (24시간)",
            f"평소 변동성을 크게 벗어난 움직임{now}",
        )

    if k in ("premium_above", "premium_below"):
        word = "돌파" if k == "premium_above" else "하향 돌파"
        return (
            f"김치 프리미엄 {n.level:+.2f}% {word}",
            f"현재 {n.market or 'BTC'} 김프 {n.value:+.2f}%",
        )
    if k == "feed_down":
        return (
            f"{clean(n.market)} 시세 수신 이상",
            f"{_span(n.value, 'ko')}째 정상 데이터가 없습니다: {clean(n.detail)}",
        )
    if k == "feed_up":
        return f"{clean(n.market)} 시세 수신 복구", "데이터가 다시 들어옵니다"
    return f"{who} {k}", _detail(n)


def _english(n: Notice) -> tuple[str, str]:
    who = _who(n, "en")
    k = n.kind
    if k in ("price_above", "price_below"):
        word = "above" if k == "price_above" else "below"
        return (
            f"{who} crossed {word} {_price(n.level, n.quote, 'en')}",
            f"now {_price(n.value, n.quote, 'en')}",
        )
    if k in ("move_up", "move_down"):
        word = "up" if k == "move_up" else "down"
        return (
            f"{who} {word} {abs(n.value):.2f}% in {_span(n.window_s, 'en')}",
            f"{n.value:+.2f}% within {_span(n.window_s, 'en')} (rule: ±{n.level:g}%)",
        )
    if k == "volume_spike":
        return f"{who} volume spike", _detail(n) or f"{n.value:.1f}x its usual minute"
    if k in ("pump", "dump"):
        word = "up" if k == "pump" else "down"
        return f"{who} {word} {n.value * 100:+.2f}% (24h)", _detail(n)
    if k in ("premium_above", "premium_below"):
        word = "above" if k == "premium_above" else "below"
        return (
            f"Kimchi premium crossed {word} {n.level:+.2f}%",
            f"{n.market or 'BTC'} premium now {n.value:+.2f}%",
        )
    if k == "feed_down":
        return (
            f"{clean(n.market)} feed unhealthy",
            f"no good data for {_span(n.value, 'en')}: {clean(n.detail)}",
        )
    if k == "feed_up":
        return f"{clean(n.market)} feed restored", "data is flowing again"
    return f"{who} {k}", _detail(n)


def _detail(n: Notice) -> str:
    return clean(n.detail)
