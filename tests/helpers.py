"""Helpers shared by tests: write small registries and configs."""

from __future__ import annotations

import json
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write_config(folder: Path, sources: list[str], extra: str = "") -> Path:
    """Write config.toml from TOML snippets of [[sources]] tables."""
    path = folder / "config.toml"
    path.write_text("\n".join(sources) + "\n" + extra, encoding="utf-8")
    return path


def source_toml(name: str, path: str, id_column: str = "id", **tables: dict[str, str]) -> str:
    """One [[sources]] table; keyword tables become [sources.KEY] sub-tables."""
    lines = ["[[sources]]", f'name = "{name}"', f'path = "{path}"', f'id = "{id_column}"']
    for key, mapping in tables.items():
        lines.append(f"[sources.{key}]")
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in mapping.items()]
    return "\n".join(lines) + "\n"
