"""A union-find whose roots carry their component's identifiers, branch and unit state, and
refuse a union that would break a constraint."""

from __future__ import annotations

import numpy as np
import pandas as pd

from linkage.clustering.identifiers import Identifiers
from linkage.standardize.subunits import keys_alike, names_unit
from linkage.standardize.text import has_cjk

UNIT_COLUMN = "name_unit"
_BRANCH, _HEAD = 1, 2


class Components:
    """Union-find whose roots hold the component state the constraints check."""

    def __init__(
        self, features: pd.DataFrame, unique_sources: set[str], identifiers: Identifiers
    ) -> None:
        n = len(features)
        self.ids = identifiers
        self.parent = list(range(n))
        self.size = [1] * n
        # a root's identifier keys when they are not its own record's (after a union that
        # brought keys), as Identifiers.state() gives them: built only for the roots unions
        # touch, not held for a million records
        self.merged: list[tuple[tuple[int, ...], ...] | None] = [None] * n
        branch = (
            features["is_branch"].fillna(False).astype(bool).tolist()
            if "is_branch" in features
            else [False] * n
        )
        self.kind = [_BRANCH if b else _HEAD for b in branch]
        self.features = features  # names, read only for the rare branch / non-branch edge
        self.names_units = {UNIT_COLUMN, "name_latin", "name_norm"} <= set(features)
        self.sites_comparable = {"address_norm", "address_numbers"} <= set(features)
        # a root's sub-unit: one code (-1: none), or several in ``units`` after a union that
        # an identifier or a reviewer allowed, or whose keys were read alike across scripts;
        # a code is the key's index times two, plus one when read from a Chinese name
        self.unit_keys: list[str] = []
        self.unit = [-1] * n
        if UNIT_COLUMN in features:
            codes, keys = pd.factorize(features[UNIT_COLUMN].astype(object), use_na_sentinel=True)
            self.unit_keys = [str(k) for k in keys]
            has_unit = np.flatnonzero(codes >= 0)
            chinese = np.zeros(n, dtype=np.int64)
            if "name_norm" in features and len(has_unit):
                names = features["name_norm"].to_numpy(dtype=object)[has_unit]
                chinese[has_unit] = [has_cjk(str(v)) for v in names]
            self.unit = np.where(codes >= 0, codes * 2 + chinese, -1).tolist()
        self.units: dict[int, frozenset[int]] = {}
        # the unique sources of a component as bits (0: none), small ints Python shares
        bit = {s: 1 << i for i, s in enumerate(sorted(unique_sources))}
        self.unique = [bit.get(s, 0) for s in features["source"].astype(str).tolist()]
        self.cannot: dict[int, set[int]] = {}

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def keys(self, root: int) -> tuple[tuple[int, ...], ...]:
        """The identifier keys of a component, one ``(prefix, *codes)`` group per prefix."""
        state = self.merged[root]
        return self.ids.state(root) if state is None else state

    def unit_set(self, root: int) -> frozenset[int]:
        """The sub-units of a component (codes of ``name_unit``)."""
        held = self.units.get(root)
        if held is not None:
            return held
        return frozenset((self.unit[root],)) if self.unit[root] >= 0 else frozenset()

    def _units_apart(self, ua: frozenset[int], ub: frozenset[int]) -> bool:
        """Two components' sub-units are different units: no key in common, and none read
        from a Chinese name alike to one read from a Latin name (``subunits.keys_alike``)."""
        if not {u >> 1 for u in ua}.isdisjoint({u >> 1 for u in ub}):
            return False
        keys = self.unit_keys
        return not any(
            (a & 1) != (b & 1) and keys_alike(keys[a >> 1], keys[b >> 1]) for a in ua for b in ub
        )

    def _named_unit(self, a: int, b: int, ta: int, tb: int) -> bool:
        """Records a and b, of a branch-only and a non-branch-only component, are one unit:
        the branch record's unit is named by the other record's Latin name."""
        if ta == _HEAD:
            a, b, ta, tb = b, a, tb, ta
        names = self.features
        if ta != _BRANCH or tb != _HEAD or not self.names_units:
            return False
        key, other, latin = (
            names[c].iat[i] for c, i in ((UNIT_COLUMN, a), ("name_norm", b), ("name_latin", b))
        )
        if not all(isinstance(v, str) for v in (key, other, latin)) or has_cjk(other):
            return False
        if self._at_unit_address(a, b):
            return True
        parent = names["name_parent"].iat[a] if "name_parent" in names else None
        return names_unit(key, parent if isinstance(parent, str) else None, latin)

    def _at_unit_address(self, branch: int, other: int) -> bool:
        """A Latin-script record at the exact address of a Latin-script unit, house number
        included, is that unit named without it (``Marcy Newberry Association`` at the address
        of ``Marcy Newberry Association - FOSCO ABLA Center``): lists name a site by its
        organisation. Not so in Chinese, where a 门市部 at its company's address is a
        registration of its own."""
        if not self.sites_comparable:
            return False
        names = self.features
        address = names["address_norm"]
        here, there = address.iat[branch], address.iat[other]
        return (
            isinstance(here, str)
            and isinstance(there, str)
            and here == there
            and isinstance(names["address_numbers"].iat[branch], str)
            and not has_cjk(str(names["name_norm"].iat[branch]))
            and not has_cjk(here)
        )

    def forbid(self, a: int, b: int) -> None:
        """A cannot-link between records a and b (a reviewer's "different")."""
        self.cannot.setdefault(a, set()).add(b)
        self.cannot.setdefault(b, set()).add(a)

    def union(self, a: int, b: int, *, override: bool = False) -> str | None:
        """Join the components of a and b; return None on success, else the refusal reason.

        Returns "" when a and b are already in one component (nothing to do).
        """
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ""
        ka, kb = self.keys(ra), self.keys(rb)
        shared = False
        if ka and kb:
            small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
            for group in small:
                for other in large:
                    if other[0] == group[0]:
                        if other != group:
                            return f"identifier:{self.ids.prefixes[group[0]]}"
                        shared = True
                        break
        ca, cb = self.cannot.get(ra), self.cannot.get(rb)
        if ca and cb:
            small_set, root = (ca, rb) if len(ca) <= len(cb) else (cb, ra)
            if any(self.find(x) == root for x in small_set):
                return "judgement"
        ua, ub = self.unit_set(ra), self.unit_set(rb)
        named = False  # a non-branch component joins a branch as its unit
        if not override:
            ta, tb = self.kind[ra], self.kind[rb]
            if not shared and ((ta & _BRANCH and tb & _HEAD) or (ta & _HEAD and tb & _BRANCH)):
                if not self._named_unit(a, b, ta, tb):
                    return "branch"
                named = True
            if not shared and ua and ub and self._units_apart(ua, ub):
                return "unit"
            if self.unique[ra] & self.unique[rb]:
                return "unique_source"
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
            ka, kb = kb, ka
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        if kb:  # shared prefixes hold equal keys: add kb's other prefixes after ka's
            held = {group[0] for group in ka}
            self.merged[ra] = ka + tuple(group for group in kb if group[0] not in held)
        self.merged[rb] = None
        self.kind[ra] = _BRANCH if named else self.kind[ra] | self.kind[rb]
        if ub:
            joined = ua | ub
            self.units.pop(rb, None)
            if len(joined) > 1:
                self.units[ra] = joined
            else:
                self.unit[ra] = next(iter(joined))
        self.unique[ra] |= self.unique[rb]
        moved = self.cannot.pop(rb, None)
        if moved:
            self.cannot.setdefault(ra, set()).update(moved)
        # cannot-link sets hold record indices; records of rb now resolve to ra through find.
        return None
