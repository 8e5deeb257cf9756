"""Checks of the name anatomy over a whole register, shared by the test on the real Jiangsu
registrations (``tests/unit/standardize/test_jiangsu_names.py``) and the report of
``benchmarks/name_parts_real.py``, so that both count the same things."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from linkage.standardize.names import CompanyName

# names that end in a word meaning a branch by itself: each should be read as a sub-unit
BRANCH_WORD = re.compile(r"(分公司|支公司|支行|分行|支局|分理处|办事处|代表处|营业部|分店|分厂)$")
# a complete organisation, then a short tail ending in a unit word: a sub-unit as well
COMPLETE_THEN_UNIT = re.compile(
    r"(有限公司|公司|厂|合作社|银行|集团)[^公司厂社行团]{1,8}"
    r"(门市部|经营部|加油站|加盟店|供销站|服务站|收购站|专卖店|连锁店|商店|分店)$"
)


def paths_compatible(a: str | None, b: str | None) -> bool:
    """Two place paths (``name_place_path``) agree: one is a prefix of the other, or one is
    unknown (the string form of the name comparison's place check)."""
    if a is None or b is None:
        return True
    left, right = a.split(), b.split()
    return left[: len(right)] == right[: len(left)]


def sibling_clashes(names: Iterable[CompanyName]) -> tuple[int, int]:
    """(clashes, pairs): of the pairs of distinct sub-units of one parent, those with one unit
    key and compatible places, which the clustering's unit rule could not keep apart."""
    by_parent: dict[str | None, dict[str, CompanyName]] = defaultdict(dict)
    for name in names:
        if name.is_branch:
            by_parent[name.parent].setdefault(name.norm, name)
    pairs = clashes = 0
    for siblings in by_parent.values():
        units = list(siblings.values())
        pairs += len(units) * (len(units) - 1) // 2
        by_key: dict[str | None, list[CompanyName]] = defaultdict(list)
        for unit in units:
            by_key[unit.unit_key].append(unit)
        for same in by_key.values():
            clashes += sum(
                paths_compatible(a.place_path, b.place_path)
                for i, a in enumerate(same)
                for b in same[i + 1 :]
            )
    return clashes, pairs
