"""Rebuild ``upbit_markets.json``, the simulated Upbit's market list (``GET /v1/market/all``).

Two ways, newest first:

1. **From a fresh capture** (the way to refresh it). Where the network reaches Upbit::

       curl -s 'https://api.upbit.com/v1/market/all?is_details=true' > /tmp/market_all.json
       python dantaro_tui/sim/data/build_upbit_markets.py --market-all /tmp/market_all.json

   The capture is taken as it is: Upbit's own order, nothing added, nothing removed. Then run
   ``python -m pytest -q tests/sim/test_market.py``: it names every base that still needs an
   approximate USD price in ``dantaro_tui/sim/market.py`` (``REFERENCE_USD``), and checks
   that the majors still lead the seeded 24 h turnover. Update ``DELISTED`` and
   ``LATER_KRW`` below from the capture too, so that the offline rebuild (2.) agrees.

2. **Offline** (no argument): the real April 2021 list (the recorded ``GET /v1/market/all``
   in ``../shared/fixtures/recorded/upbit_rest.txt`` beside the repo), minus every market
   Upbit has delisted or renamed since (``DELISTED``), plus the real KRW listings Upbit added
   later (``LATER_KRW``), with their Korean and English names. Both tables were written from
   Upbit's announcements as known when they were last edited (no capture of today's list
   was at hand); a capture (1.) always wins over them.

Run from the repository root: ``python dantaro_tui/sim/data/build_upbit_markets.py``.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
RECORDED = REPO.parent / "shared" / "fixtures" / "recorded" / "upbit_rest.txt"

# Bases Upbit no longer lists in any market (delisted, or renamed to a base listed under its
# new name), each with the reason. Every quote of such a base is left out.
DELISTED: dict[str, str] = {
    # June 2021, ahead of the virtual-asset registration deadline of the amended Specific
    # Financial Information Act: delisted outright, or KRW market closed and then delisted.
    "MARO": "delisted 2021-06", "PCI": "delisted 2021-06", "OBSR": "delisted 2021-06",
    "SOLVE": "delisted 2021-06", "QTCON": "delisted 2021-06", "ADX": "delisted 2021",
    "LBC": "delisted 2021", "DMT": "delisted 2021", "EMC2": "delisted 2021",
    "TSHP": "delisted 2021", "LAMB": "delisted 2021", "EDR": "delisted 2021",
    "PXL": "delisted 2021", "IGNIS": "delisted", "KMD": "delisted", "RFR": "delisted",
    # Later.
    "LUNA": "delisted 2022-05 (Terra collapse)",
    "SRM": "delisted 2022-12 (FTX collapse)",
    "WEMIX": "delisted 2022-12 (circulating supply), not relisted on Upbit",
    "ANT": "delisted 2023 (Aragon DAO dissolved)",
    "PLA": "delisted 2024 (PlayDapp exploit)",
    "DAWN": "delisted", "OMG": "delisted", "STRAX": "delisted", "REP": "delisted",
    # Defunct projects priced under a satoshi: no BTC market can quote them.
    "RDD": "delisted (ReddCoin)", "NCASH": "delisted (Nucleus Vision)",
    "PI": "delisted (PCHAIN)", "BASIC": "delisted (Basic)",
    # Renamed or migrated: listed under the new base (recorded list or LATER_KRW).
    "BCHA": "renamed XEC (eCash)", "HUM": "renamed HPO (Hippocrat)",
    "POLY": "migrated to POLYX (Polymesh)", "MFT": "renamed HIFI (Hifi Finance)",
}  # fmt: skip

# Single markets closed while the coin stays listed under another quote.
DELISTED_MARKETS: dict[str, str] = {
    "BTC-BTT": "BTT redenominated 1,000:1 in 2022; the new token trades under a satoshi",
}

# Real Upbit KRW listings after April 2021 (ticker, Korean name, English name).
LATER_KRW: list[tuple[str, str, str]] = [
    ("USDT", "테더", "Tether"),
    ("USDC", "유에스디코인", "USD Coin"),
    ("SOL", "솔라나", "Solana"),
    ("POL", "폴리곤 에코시스템 토큰", "Polygon Ecosystem Token"),
    ("AAVE", "에이브", "Aave"),
    ("1INCH", "1인치네트워크", "1inch Network"),
    ("ALGO", "알고랜드", "Algorand"),
    ("NEAR", "니어프로토콜", "NEAR Protocol"),
    ("AVAX", "아발란체", "Avalanche"),
    ("T", "쓰레스홀드", "Threshold"),
    ("CELO", "셀로", "Celo"),
    ("GMT", "스테픈", "Stepn"),
    ("APT", "앱토스", "Aptos"),
    ("SHIB", "시바이누", "Shiba Inu"),
    ("MASK", "마스크네트워크", "Mask Network"),
    ("ARB", "아비트럼", "Arbitrum"),
    ("EGLD", "멀티버스엑스", "MultiversX"),
    ("SUI", "수이", "Sui"),
    ("GRT", "더그래프", "The Graph"),
    ("BLUR", "블러", "Blur"),
    ("IMX", "이뮤터블엑스", "Immutable X"),
    ("SEI", "세이", "Sei"),
    ("MINA", "미나", "Mina"),
    ("CTC", "크레딧코인", "Creditcoin"),
    ("ASTR", "아스타", "Astar"),
    ("HPO", "히포크랏", "Hippocrat"),
    ("POLYX", "폴리매쉬", "Polymesh"),
    ("SAFE", "세이프", "Safe"),
    ("XEC", "이캐시", "eCash"),
    ("HIFI", "하이파이", "Hifi Finance"),
    ("STG", "스타게이트파이낸스", "Stargate Finance"),
    ("BEAM", "빔", "Beam"),
    ("AKT", "아카시네트워크", "Akash Network"),
    ("PYTH", "피스네트워크", "Pyth Network"),
    ("ID", "스페이스아이디", "SPACE ID"),
    ("MNT", "맨틀", "Mantle"),
    ("ZETA", "제타체인", "ZetaChain"),
    ("AUCTION", "바운스토큰", "Bounce Token"),
    ("TAIKO", "타이코", "Taiko"),
    ("ORCA", "오르카", "Orca"),
    ("ATH", "에이셔", "Aethir"),
    ("UXLINK", "유엑스링크", "UXLINK"),
    ("CKB", "너보스", "Nervos Network"),
    ("INJ", "인젝티브", "Injective"),
    ("UNI", "유니스왑", "Uniswap"),
    ("DRIFT", "드리프트", "Drift"),
    ("AGLD", "어드벤처골드", "Adventure Gold"),
    ("PEPE", "페페", "Pepe"),
    ("BONK", "봉크", "Bonk"),
    ("TRUMP", "오피셜트럼프", "Official Trump"),
    ("ME", "매직에덴", "Magic Eden"),
    ("MOVE", "무브먼트", "Movement"),
    ("VANA", "바나", "Vana"),
    ("VIRTUAL", "버추얼프로토콜", "Virtuals Protocol"),
    ("BERA", "베라체인", "Berachain"),
    ("LAYER", "솔레이어", "Solayer"),
    ("ANIME", "애니메코인", "Animecoin"),
    ("SONIC", "소닉SVM", "Sonic SVM"),
    ("KAITO", "카이토", "KAITO"),
    ("COMP", "컴파운드", "Compound"),
    ("GAME2", "게임빌드", "GameBuild"),
    ("ARKM", "아캄", "Arkham"),
    ("WAL", "월러스", "Walrus"),
    ("NXPC", "넥스페이스", "NEXPACE"),
    ("BIGTIME", "빅타임", "Big Time"),
    ("ALT", "알트레이어", "AltLayer"),
    ("AXL", "엑셀라", "Axelar"),
    ("VTHO", "비토르토큰", "VeThor Token"),
    ("GLMR", "문빔", "Moonbeam"),
    ("OMNI", "옴니네트워크", "Omni Network"),
    ("MEW", "캣인어독스월드", "cat in a dogs world"),
    ("CARV", "카브", "CARV"),
    ("DEEP", "딥북", "DeepBook"),
    ("ENS", "이더리움네임서비스", "Ethereum Name Service"),
    ("G", "그래비티", "Gravity"),
    ("PENDLE", "펜들", "Pendle"),
    ("ONDO", "온도파이낸스", "Ondo Finance"),
    ("ZRO", "레이어제로", "LayerZero"),
    ("JUP", "주피터", "Jupiter"),
    ("W", "웜홀", "Wormhole"),
    ("BLAST", "블라스트", "Blast"),
    ("PENGU", "펏지펭귄", "Pudgy Penguins"),
    ("USUAL", "유주얼", "Usual"),
    ("COW", "카우프로토콜", "CoW Protocol"),
    ("RENDER", "렌더토큰", "Render"),
    ("RAY", "레이디움", "Raydium"),
    ("IP", "스토리", "Story"),
]


def recorded_markets() -> list[dict[str, str]]:
    """The April 2021 list as recorded."""
    for line in RECORDED.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^(\S+/v1/market/all) -> [\d.]+: (.*)$", line):
            return json.loads(m[2])
    raise SystemExit(f"no /v1/market/all body in {RECORDED}")


def captured_markets(path: Path) -> list[dict[str, str]]:
    """A fresh ``GET /v1/market/all`` body, as captured."""
    body: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return body


def _row(m: dict[str, str]) -> dict[str, str]:
    return {k: m[k] for k in ("market", "korean_name", "english_name")}


def build(capture: Path | None = None) -> list[dict[str, str]]:
    if capture is not None:
        return [_row(m) for m in captured_markets(capture)]
    markets = [
        m
        for m in recorded_markets()
        if m["market"].split("-", 1)[1] not in DELISTED and m["market"] not in DELISTED_MARKETS
    ]
    known = {m["market"] for m in markets}
    for base, korean, english in LATER_KRW:
        code = f"KRW-{base}"
        if code not in known:
            markets.append({"market": code, "korean_name": korean, "english_name": english})
            known.add(code)
    return [_row(m) for m in markets]


def main() -> None:
    ap = argparse.ArgumentParser(description="Rebuild upbit_markets.json.")
    ap.add_argument("--market-all", type=Path, help="a captured GET /v1/market/all body")
    markets = build(ap.parse_args().market_all)
    out = HERE / "upbit_markets.json"
    rows = ",\n".join(json.dumps(m, ensure_ascii=False) for m in markets)
    out.write_text(f"[\n{rows}\n]\n", encoding="utf-8")
    krw = sum(m["market"].startswith("KRW-") for m in markets)
    print(f"{out.name}: {len(markets)} markets, {krw} KRW")


if __name__ == "__main__":
    main()
