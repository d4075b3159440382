"""Runtime dependencies are what the app imports; tools for benchmarks are extras."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Distribution name -> the module it installs, where they differ.
MODULE = {"pyarrow": "pyarrow", "textual-plotext": "textual_plotext", "pyjwt": "jwt"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()


def test_every_runtime_dependency_is_imported_by_the_app() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "dantaro_tui").rglob("*.py")
    ) + "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "themes").rglob("*.py"))
    unused = []
    for requirement in project["dependencies"]:
        module = MODULE.get(_name(requirement), _name(requirement).replace("-", "_"))
        if not re.search(rf"^\s*(?:import|from)\s+{module}\b", sources, re.MULTILINE):
            unused.append(requirement)
    assert unused == []
    assert "psutil" not in {_name(r) for r in project["dependencies"]}
    assert "psutil" in {_name(r) for r in project["optional-dependencies"]["bench"]}


def test_the_memory_benchmark_says_how_to_install_psutil() -> None:
    bench = ROOT / "benchmarks"
    code = (
        f"import sys, runpy; sys.path.insert(0, {str(bench)!r}); sys.modules['psutil'] = None;"
        f" runpy.run_path({str(bench / 'bench_record.py')!r}, run_name='bench')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode != 0
    assert 'pip install -e ".[bench]"' in done.stderr
