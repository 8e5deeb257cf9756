"""Build ``gazetteer_cn.csv``, the Chinese place hierarchy, from JioNLP's location dictionary.

Dev-time only (run it when the source changes; the package never imports it)::

    python linkage/standardize/data/build_places.py /path/to/jionlp-1.5.31-py2.py3-none-any.whl

Source: JioNLP 1.5.31 (https://github.com/dongrixinyu/JioNLP, Apache-2.0), files
``jionlp/dictionary/china_location.zip`` (province / prefecture / county with adcodes and short
names, then towns, then villages) and ``jionlp/dictionary/china_location_change.txt`` (renames
since 2002). Villages, farms, prisons and other non-administrative entries are left out.

Output rows are in tree order (depth first); a row's parent is the nearest row above it with a
smaller ``depth`` (0 province, 1 prefecture, 2 county, 3 town). Columns:

- ``name``: the full official name (``玄武区``); ``short``: without the level word (``玄武``);
- ``code``: the 6-digit adcode (towns: empty);
- ``latin``: the canonical Latin name (pinyin without tones or spaces, or the conventional
  spelling of a province or city from ``places_cn.csv``: ``shaanxi``, ``innermongolia``,
  ``harbin``);
- ``alt``: other Latin spellings agencies use (the plain pinyin of a conventional spelling, ü
  written ``v``), ``|``-separated;
- ``old``: former full names from the change list whose stem differs (``襄樊市`` for ``襄阳市``;
  a changed level word alone, ``海安县`` -> ``海安市``, needs none: lookups accept any level word),
  ``|``-separated.

Municipalities appear once (their prefecture row, a copy of the province, is skipped), and the
"directly administered" pseudo-levels (``省直辖行政区划``) are skipped: their children keep their
depth and hang from the level above (``仙桃市``, depth 2, under ``湖北省``).
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from pathlib import Path

from pypinyin import Style, lazy_pinyin

HERE = Path(__file__).resolve().parent
OUT = HERE / "gazetteer_cn.csv"
# town-level kinds kept (others: farms, forests, zones, prisons ...); the short name drops them
_TOWN = re.compile(r"^(.{2,}?)(?:(?:[\u4e00-\u9fff]{1,3}族)+)?(街道办事处|街道|镇|乡|苏木)$")
_PSEUDO = ("省直辖", "市直辖", "自治区直辖")
# development zones listed among counties: not administrative places (zones are parsed apart)
_ZONE = re.compile(
    r"(开发区|高新区|园区|管理区|试验区|示范区|工业区|保税区|实验区|合作区|经济区|新城)$"
)
# level words a short name never keeps (an ethnic qualifier before them goes too)
_LEVEL = re.compile(
    r"^(.{2,}?)(?:(?:[\u4e00-\u9fff]{1,4}?族)+)?"
    r"(省|市|自治区|特别行政区|地区|自治州|州|盟|自治县|自治旗|县|区|旗)$"
)
# characters whose reading in place names differs from pypinyin's everyday default
_PLACE_READINGS = {"朝": "chao", "蚌": "beng", "单": "shan", "浒": "xu", "甪": "lu", "栟": "ben"}


def _read_tree(wheel: Path) -> list[tuple[int, list[str]]]:
    with zipfile.ZipFile(wheel) as outer:
        inner_bytes = outer.read("jionlp/dictionary/china_location.zip")
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        text = inner.read(inner.namelist()[0]).decode("utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        rows.append((depth, line.strip().split("\t")))
    return rows


def _read_changes(wheel: Path) -> dict[tuple[str, ...], list[str]]:
    """Map a current (province, prefecture[, county]) full-name path to its former names."""
    with zipfile.ZipFile(wheel) as outer:
        text = outer.read("jionlp/dictionary/china_location_change.txt").decode("utf-8")
    old: dict[tuple[str, ...], list[str]] = {}
    for line in text.splitlines():
        if "=>" not in line:
            continue
        before, after = line.split("=>")
        before_parts = before.split("\t")[2:]
        new_path = tuple(after.split("\t"))
        old_full = before_parts[-2]  # the full name is followed by its short name
        if old_full != new_path[-1] and old_full not in old.get(new_path, []):
            old.setdefault(new_path, []).append(old_full)
    return old


def _conventional() -> dict[str, str]:
    with (HERE / "places_cn.csv").open(encoding="utf-8") as handle:
        return {row["name"]: row["latin"] for row in csv.DictReader(handle)}


def _short(name: str, given: str) -> str:
    """The name without its level word: JioNLP's short name when it is a prefix of the full
    name (``西盟`` for ``西盟佤族自治县``), else the name stripped (``大理市`` -> ``大理``;
    abbreviations such as ``扎旗`` for ``扎赉特旗`` are not kept)."""
    if name.startswith(given) and len(given) >= 2 and not _LEVEL.match(given):
        return given
    match = _LEVEL.match(name)
    return match.group(1) if match else name


def _default_latin(short: str) -> str:
    syllables = lazy_pinyin(short, style=Style.NORMAL, errors="ignore")
    if short[:1] in _PLACE_READINGS and syllables:
        syllables[0] = _PLACE_READINGS[short[0]]
    return _u("".join(syllables).lower())


def _u(latin: str) -> str:
    """ü written u, as agencies write it (吕四: ``lusi``); pypinyin writes ``v``."""
    return latin.replace("ü", "u").replace("lv", "lu").replace("nv", "nu")


def _alternatives(short: str, latin: str) -> list[str]:
    """Other spellings agencies use: the plain pinyin of a conventional spelling, and ü as
    ``v``. Other readings of polyphonic characters are left out: rare readings made common
    trade names read as places (``hongda`` for 红塔)."""
    plain = "".join(lazy_pinyin(short, style=Style.NORMAL, errors="ignore")).lower()
    found = dict.fromkeys([_u(plain), plain.replace("ü", "v")])
    return [a for a in found if a and a != latin]


def build(wheel: Path) -> list[list[str]]:
    """The gazetteer rows (without header) from the JioNLP wheel."""
    conventional = _conventional()
    changes = _read_changes(wheel)
    out: list[list[str]] = []
    path: list[str] = []  # full names from the province down, as the change list writes them
    for depth, fields in _read_tree(wheel):
        if depth > 3:
            continue
        name = fields[0]
        del path[depth:]
        path.append(name)
        if depth < 3:
            short = _short(name, fields[2] if len(fields) > 2 else name)
            code = fields[1] if len(fields) > 1 else ""
            skip = (
                name.startswith(_PSEUDO)
                or (depth == 1 and name == path[0])
                or (depth > 0 and _ZONE.search(name) is not None)
            )
        else:
            match = _TOWN.match(name)
            short, code, skip = (match.group(1) if match else ""), "", match is None
        if skip:
            continue
        latin = conventional.get(short) if depth < 2 else None  # conventional: cities and above
        latin = latin or _default_latin(short)
        alt = _alternatives(short, latin)
        old = [o for o in changes.get(tuple(path), []) if not o.startswith(short)]
        out.append([str(depth), name, short, code, latin, "|".join(alt), "|".join(old)])
    return out


def main() -> None:
    """Write ``gazetteer_cn.csv`` next to this script."""
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    rows = build(Path(sys.argv[1]))
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["depth", "name", "short", "code", "latin", "alt", "old"])
        writer.writerows(rows)
    print(f"{len(rows)} places -> {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
