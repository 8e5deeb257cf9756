"""Every Python example in the README and docs runs as written (in a fresh folder beside a
link to the shared data, as the examples' relative paths expect)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for number, block in enumerate(BLOCK.findall(text), start=1):
            found.append((f"{path.relative_to(ROOT)}#{number}", block))
    return found


def test_the_readme_has_examples() -> None:
    assert any(name.startswith("README.md") for name, _ in examples())


@pytest.mark.slow
@pytest.mark.parametrize(("name", "code"), examples(), ids=[n for n, _ in examples()])
def test_example_runs(name: str, code: str, tmp_path: Path) -> None:
    if "shared/data" in code and not SHARED.is_dir():
        pytest.skip("needs the shared data sets beside the project")
    here = tmp_path / "project"
    here.mkdir()
    if SHARED.is_dir():
        (tmp_path / "shared").symlink_to(SHARED)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=here, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
