"""The package's architecture holds: the import-linter contracts in pyproject.toml (layers, no
import cycle in any package) are kept, and no module imports another module's private name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def private_imports(package: Path) -> list[str]:
    """``from linkage.x import _name`` anywhere in the package, as ``file:line name``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith(
                "linkage"
            ):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(package.parent)}:{node.lineno} {alias.name}")
    return found


def test_no_module_imports_a_private_name_of_another(tmp_path: Path) -> None:
    assert private_imports(ROOT / "linkage") == []
    # the check itself finds one
    (tmp_path / "linkage").mkdir()
    (tmp_path / "linkage" / "a.py").write_text("from linkage.b import _hidden\n", encoding="utf-8")
    assert private_imports(tmp_path / "linkage") == ["linkage/a.py:1 _hidden"]
