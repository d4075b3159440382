"""A stablecoin's volume spike is money moving in or out of a venue, not a trade to make: the
default rules (``watch`` without ``[[watch]]``, the cockpit's alert toggle) say nothing of
KRW-USDT or KRW-USDC, and still speak of every other market; a rule the trader writes
covers them unless it says ``stablecoins = false``; the tether premium is still watched."""

from __future__ import annotations

from pathlib import Path

import pytest

from dantaro_tui.analytics.alerts import Alert, AlertKind
from dantaro_tui.config import load_config
from dantaro_tui.model import Market
from dantaro_tui.services.watch_config import WatchRule, default_rules
from dantaro_tui.services.watch_rules import RuleEngine
from tests.sim.helpers import upbit_markets

KINDS: tuple[AlertKind, ...] = ("volume_spike", "pump", "dump")


@pytest.fixture
async def markets() -> dict[str, Market]:
    """The simulated Upbit's KRW market list, as its REST answer gives it."""
    return {m.symbol: m for m in await upbit_markets() if m.quote == "KRW"}


def said(engine: RuleEngine, market: str, kind: AlertKind) -> list[str]:
    """The rules that speak of ``kind`` on ``market``."""
    alert = Alert(time_ms=1_700_000_000_000, market=market, kind=kind, message="x5", value=5.0)
    return [rule.name for rule, _ in engine.on_alert(alert, price=1_450.0)]


def engine_for(rules: list[WatchRule], markets: dict[str, Market]) -> RuleEngine:
    engine = RuleEngine(rules)
    engine.names.update(markets)
    return engine


async def test_default_rules_say_nothing_of_stablecoin_markets(markets: dict[str, Market]) -> None:
    stables = [s for s in ("KRW-USDT", "KRW-USDC") if s in markets]
    assert stables, "the simulated Upbit lists a KRW stablecoin market"
    engine = engine_for(default_rules(), markets)
    for kind in KINDS:
        for symbol in stables:
            assert said(engine, symbol, kind) == [], (symbol, kind)
        assert said(engine, "KRW-BTC", kind)  # every other market is still watched
        assert said(engine, "KRW-ETH", kind)


async def test_a_rule_the_trader_writes_covers_stablecoins_unless_it_says_not(
    markets: dict[str, Market], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[watch]]\nname = "every spike"\nkind = "volume_spike"\n\n'
        '[[watch]]\nname = "coins only"\nkind = "volume_spike"\nstablecoins = false\n\n'
        '[[watch]]\nname = "tether"\nkind = "premium"\ncoin = "USDT"\nabove = 2.0\n',
        encoding="utf-8",
    )
    cfg = load_config(config)
    assert not cfg.warnings, cfg.warnings
    engine = engine_for(cfg.watch_rules, markets)
    assert said(engine, "KRW-USDT", "volume_spike") == ["every spike"]
    assert said(engine, "KRW-BTC", "volume_spike") == ["every spike", "coins only"]
    # The tether premium is a premium rule: stablecoins are what it is about.
    assert engine.on_premium("USDT", 0.01) == []
    fired = engine.on_premium("USDT", 0.025)
    assert [rule.name for rule, _ in fired] == ["tether"]


def test_a_stablecoins_setting_that_is_not_a_yes_or_no_is_one_warning(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[[watch]]\nkind = "pump"\nstablecoins = "sometimes"\n\n'
        '[[watch]]\nkind = "price"\nmarket = "KRW-BTC"\nabove = 1\nstablecoins = false\n',
        encoding="utf-8",
    )
    cfg = load_config(config)
    assert [r.kind for r in cfg.watch_rules] == ["price"]  # the bad rule is left out
    text = " ".join(cfg.warnings)
    assert "stablecoins should be true or false" in text
    assert "stablecoins applies to volume_spike, pump, dump rules" in text


def test_markets_missing_from_the_list_are_still_told_apart() -> None:
    """Before the market list comes (or for a code it lacks), the code alone decides, on
    venues writing the quote first or last."""
    engine = RuleEngine(default_rules())
    assert said(engine, "KRW-USDT", "pump") == []
    assert said(engine, "USDC-USDT", "pump") == []
    assert said(engine, "BTC-USDT", "pump") == ["pumps"]
    assert said(engine, "KRW-BTC", "pump") == ["pumps"]
