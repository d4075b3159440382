"""Rebuild ``upbit_markets.json``: the real 2021 Upbit market list (recorded
``GET /v1/market/all``, in ``../shared/fixtures/recorded/upbit_rest.txt`` beside the repo)
plus real KRW listings Upbit added later, with their Korean and English names.

Run from the repository root: ``python dantaro_tui/sim/data/build_upbit_markets.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
RECORDED = REPO.parent / "shared" / "fixtures" / "recorded" / "upbit_rest.txt"

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
    ("WEMIX", "위믹스", "WEMIX"),
]


def recorded_markets() -> list[dict[str, str]]:
    for line in RECORDED.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^(\S+/v1/market/all) -> [\d.]+: (.*)$", line):
            return json.loads(m[2])
    raise SystemExit(f"no /v1/market/all body in {RECORDED}")


def build() -> list[dict[str, str]]:
    markets = recorded_markets()
    known = {m["market"] for m in markets}
    for base, korean, english in LATER_KRW:
        code = f"KRW-{base}"
        if code not in known:
            markets.append({"market": code, "korean_name": korean, "english_name": english})
            known.add(code)
    return [
        {"market": m["market"], "korean_name": m["korean_name"], "english_name": m["english_name"]}
        for m in markets
    ]


def main() -> None:
    markets = build()
    out = HERE / "upbit_markets.json"
    rows = ",\n".join(json.dumps(m, ensure_ascii=False) for m in markets)
    out.write_text(f"[\n{rows}\n]\n", encoding="utf-8")
    krw = sum(m["market"].startswith("KRW-") for m in markets)
    print(f"{out.name}: {len(markets)} markets, {krw} KRW")


if __name__ == "__main__":
    main()
