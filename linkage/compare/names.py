"""The company-name comparison: exact, Latin-key, distinctive-word and similarity levels, and
the Chinese anatomy that tells two firms apart (another place, trade name or industry)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, JaroWinkler, Prefix

from linkage.compare.base import Comparison
from linkage.compare.values import (
    NULL,
    Distinct,
    Level,
    Prepared,
    assign_levels,
    frequencies,
    has_cjk_char,
    similarity,
    source_codes,
)
from linkage.compare.words import word_columns, word_relations
from linkage.standardize.vocabulary import industry_synonyms

_CJK_ONLY = re.compile(r"[\u3400-\u9fff\uf900-\ufaff ]+")


def _acronym(tokens: Any) -> str | None:
    parts = str(tokens).split()
    if len(parts) < 2 or not all(p[:1].isascii() and p[:1].isalpha() for p in parts):
        return None
    return "".join(p[0] for p in parts)


class CompanyNameComparison(Comparison):
    """Company names on standardised features, with the distinctive words kept apart.

    Two firms of one city and industry differ only in their trade name, so string similarity
    of whole names ("Shanghai Xunhong Environmental Technology" vs "Shanghai Junjun
    Environmental Technology") says little. Levels, best first: exact normalised name; equal
    Latin key (hanzi vs pinyin/English); same distinctive words (``name_core``: the trade
    name) with compatible places (one place path inside the other) and industries; distinctive
    words alike (one a prefix of the other, "zexing" / "zexingdianli"; for two Latin-script
    names also a typo: indel similarity >= ``typo_threshold`` on words of 6 letters or more,
    "phillips" / "philips"; or Jaro–Winkler >= ``core_threshold`` when below 1, off by
    default) with nothing in conflict; same distinctive words but another place or industry
    (namesakes and sister firms); similar names (token-set >= ``token_threshold`` or
    Latin-key Jaro–Winkler >= the first of ``jw_thresholds``) where the distinctive words
    cannot be compared or one holds the other; similar names (Jaro–Winkler >= the last
    threshold) whose distinctive words differ; one name is the acronym of the other; else.

    A Chinese registered name is its places, trade name (字号) and industry: two Chinese names
    that differ in any of them (another trade name in one town, a sister firm of another
    industry, a namesake in another county) name two firms unless strong other evidence says
    otherwise (a renamed firm). Such pairs get the lowest level, strong evidence against: its
    knowledge-based m is a thousandth. Where only one side is Chinese, such a difference only
    keeps the pair out of the "similar" levels. Exact names, Latin keys and distinctive words
    get term-frequency adjustments (common values weigh less).
    """

    def __init__(
        self,
        norm: str = "name_norm",
        latin: str = "name_latin",
        tokens: str = "name_tokens",
        *,
        core: str = "name_core",
        generic: str = "name_generic",
        place: str = "name_place",
        place_path: str = "name_place_path",
        token_threshold: float = 0.9,
        jw_thresholds: Sequence[float] = (0.92, 0.85),
        core_threshold: float = 1.0,
        typo_threshold: float = 0.9,
        name: str = "name",
    ) -> None:
        self.norm = norm
        self.latin = latin
        self.tokens = tokens
        self.core = core
        self.generic = generic
        self.place = place
        self.place_path = place_path
        self.token_threshold = float(token_threshold)
        self.jw_thresholds = tuple(float(t) for t in jw_thresholds)
        self.core_threshold = float(core_threshold)
        self.typo_threshold = float(typo_threshold)
        self.name = name
        self.columns = (norm, latin, tokens, core, generic, place, place_path)

    @property
    def tf_levels(self) -> dict[int, str]:  # type: ignore[override]
        return {9: "norm", 8: "latin", 7: "core"}

    @property
    def agreement_levels(self) -> frozenset[int]:
        return frozenset({9, 8, 7})

    @property
    def against_levels(self) -> frozenset[int]:
        return frozenset({5, 1, 0})

    @property
    def differ_levels(self) -> frozenset[int]:
        return frozenset({3})

    @property
    def else_level(self) -> int:
        return 1

    def default_m(self) -> np.ndarray:
        # level:     0      1     2     3     4     5     6     7     8     9
        m = np.array([0.001, 0.05, 0.01, 0.04, 0.07, 0.03, 0.05, 0.10, 0.10, 0.55])
        return m / m.sum()

    def levels(self) -> list[Level]:
        first, last = self.jw_thresholds[0], self.jw_thresholds[-1]
        alike = (
            "distinctive words: one a prefix of the other, or a typo "
            f"(Latin script, indel similarity >= {self.typo_threshold:g})"
        )
        if self.core_threshold < 1.0:
            alike += f" or Jaro-Winkler >= {self.core_threshold:g}"
        return [
            Level(NULL, "null"),
            Level(9, "exact normalised name"),
            Level(8, "equal Latin key"),
            Level(
                7,
                "same distinctive words, places and industries compatible (or no distinctive "
                "words, one place and the same industry)",
            ),
            Level(6, alike),
            Level(5, "same distinctive words, another place or industry"),
            Level(
                4,
                f"similar (token-set >= {self.token_threshold:g} or Jaro-Winkler >= {first:g}),"
                " distinctive words unknown or one inside the other",
            ),
            Level(3, f"similar (Jaro-Winkler >= {last:g}), distinctive words differ"),
            Level(2, "acronym of the other name"),
            Level(1, "else"),
            Level(0, "two Chinese names of different firms: another place, trade name or industry"),
        ]

    def prepare(self, frame: pd.DataFrame) -> Prepared:
        norm = Distinct.column(frame, self.norm)
        latin = Distinct.column(frame, self.latin).or_else(norm)
        tokens = Distinct.column(frame, self.tokens).or_else(norm)
        core = Distinct.column(frame, self.core)
        generic = Distinct.column(frame, self.generic)
        sources = source_codes(frame)
        return {
            "norm_code": norm.codes,
            "latin_code": latin.codes,
            "core_code": core.codes,
            "place_path": _place_paths(frame, self.place_path, self.place),
            "cjk": norm.map(has_cjk_char, dtype=bool, missing=False),
            "norm_freq": frequencies(norm.codes, sources),
            "latin": latin.per_record(),
            "latin_freq": frequencies(latin.codes, sources),
            "tokens": tokens.per_record(),
            "cjk_only": tokens.map(_cjk_only, dtype=bool, missing=False),
            "tokens_code": tokens.codes,
            "words": tokens.map(lambda t: len(set(t.split())), dtype=np.int32, missing=0),
            "core": core.per_record(),
            "core_len": core.map(len, dtype=np.float32, missing=0),
            "core_freq": frequencies(core.codes, sources),
            **word_columns("generic", generic),
            **word_columns("industry", generic.derive(_translated_industries)),
            **_acronym_codes(tokens),
            "__values_norm": norm.values,
            "__values_latin": latin.values,
            "__values_core": core.values,
        }

    def compute(self, left: Prepared, right: Prepared) -> np.ndarray:
        ln, rn = left["norm_code"], right["norm_code"]
        null = (ln < 0) | (rn < 0)
        exact = ~null & (ln == rn)
        la, ra = left["latin_code"], right["latin_code"]
        latin_ok = (la >= 0) & (ra >= 0) & ~null
        latin_eq = latin_ok & (la == ra)
        rest = ~null & ~exact & ~latin_eq
        lc, rc = left["core_code"], right["core_code"]
        core_ok = (lc >= 0) & (rc >= 0) & rest
        core_eq = core_ok & (lc == rc)
        gl, gr = left["generic_code"], right["generic_code"]
        known = (gl >= 0) & (gr >= 0)
        words = word_relations(left, right, "generic")
        alike = words.left_inside | words.right_inside  # one industry's words in the other's
        lp, rp = left["place_path"], right["place_path"]
        # industries conflict when neither holds the other; across scripts (a translation
        # picks its own synonyms: 销售 "sales" / "marketing", 设备 "machinery" / "equipment")
        # only when they share no word, synonyms counted as one
        across = left["cjk"] != right["cjk"]
        translated = word_relations(left, right, "industry")
        industries = known & np.where(across, ~translated.shared, ~alike)
        conflict = _places_conflict(lp, rp) | industries
        # two Chinese names with another place or industry get the lowest level whatever
        # their similarities: those are not worked out for them (a third of the pairs)
        open_pair = ~(conflict & left["cjk"] & right["cjk"])
        # no trade name on either side: a place and an industry are the whole name (盐城中药饮片,
        # "Nanjing Liuhe Seeds Corp."), and one place cannot register it twice
        bare = rest & (lc < 0) & (rc < 0) & (gl >= 0) & (gl == gr) & ~conflict
        bare &= (lp[:, 0] >= 0) & (rp[:, 0] >= 0)
        cjk = left["cjk"] | right["cjk"]
        open_core = core_ok & ~core_eq & open_pair
        shared = similarity(left["core"], right["core"], Prefix.similarity, open_core, 1.0)
        shorter = np.zeros(len(null), dtype=np.float32)
        if open_core.any():
            shorter[open_core] = np.minimum(
                left["core_len"][open_core], right["core_len"][open_core]
            )
        prefix = open_core & (shared >= 4) & (shared >= shorter)
        # 元上 供销 and 元上经济协作: the shorter Chinese name's industry is known and the longer
        # one's trade name runs on by two syllables or more where its industry should be, so it
        # names another industry the tables lack (were it the same, it would have been read)
        runs_on = prefix & left["cjk"] & right["cjk"]
        if runs_on.any():
            longer = np.abs(left["core_len"] - right["core_len"]) >= _RUN_ON_LETTERS
            left_short = left["core_len"] < right["core_len"]
            known_short = np.where(left_short, (gl >= 0) & (gr < 0), (gr >= 0) & (gl < 0))
            runs_on &= longer & known_short
            conflict = conflict | runs_on
            prefix &= ~runs_on
        typo = open_core & ~prefix & ~cjk & (shorter >= _TYPO_MIN_LENGTH)
        typo &= (
            similarity(
                left["core"], right["core"], Indel.normalized_similarity, typo, 1.0,
                cutoff=self.typo_threshold,
            )
            >= self.typo_threshold
        )  # fmt: skip
        typo[typo] = _one_word_misspelt(left["tokens"][typo], right["tokens"][typo])
        core_alike = prefix | typo
        if self.core_threshold < 1.0:  # at 1, only equal words (core_eq) would reach it
            core_jw = similarity(
                left["core"],
                right["core"],
                JaroWinkler.normalized_similarity,
                open_core,
                1.0,
                cutoff=self.core_threshold,
            )
            core_alike = core_alike | (core_jw >= self.core_threshold)
        # levels 4-6 do not depend on the name similarities below: skip their pairs
        rest = rest & ~core_eq & ~(core_alike & ~conflict) & ~bare & open_pair
        # words all Chinese against words without any share no character but spaces: their
        # token-set ratio stays below 0.5, so it is not worked out
        scripts_apart = (left["cjk_only"] & ~right["cjk"]) | (right["cjk_only"] & ~left["cjk"])
        token = similarity(
            left["tokens"],
            right["tokens"],
            fuzz.token_set_ratio,
            rest & ~scripts_apart,
            100.0,
            cutoff=self.token_threshold,
        )
        jw = similarity(
            left["latin"],
            right["latin"],
            JaroWinkler.normalized_similarity,
            rest & latin_ok,
            1.0,
            cutoff=min(self.jw_thresholds),
        )
        similar = (token >= self.token_threshold) | (jw >= self.jw_thresholds[0])
        # one name's distinctive words inside the other's ("hamline" in "chicago public
        # schools hamline"): similar names, or Chinese ones, that may well be one firm
        contained = similarity(
            left["core"],
            right["core"],
            fuzz.partial_ratio,
            open_core & (similar | cjk) & ~core_alike,
            100.0,
            cutoff=1.0,
        )
        # or word by word, in any order, two words at least: "catholic charities grace
        # mission" in "catholic charities of the archdiocese of chicago grace mission" (the
        # token-set ratio is 100 exactly when one word set holds the other)
        words_inside = (token >= 1.0) & (np.minimum(left["words"], right["words"]) >= 2) & ~cjk
        inside = (contained >= 1.0) | (words_inside & open_core & similar & ~core_alike)
        known_apart = open_core & ~core_alike & ~inside
        # a Chinese name is its places, trade name and industry: another of any, another firm
        apart = ~null & ~exact & ~latin_eq & (known_apart | conflict)
        acronym = _acronym_match(left, right, rest & ~similar)
        conditions = [
            (9, exact),
            (8, latin_eq),
            (0, apart & left["cjk"] & right["cjk"]),
            (7, (core_eq & ~conflict) | bare),
            (6, core_alike & ~conflict),
            (5, core_eq),
            (4, similar & ~known_apart & ~(apart & cjk)),
            (3, (similar | (jw >= self.jw_thresholds[-1])) & ~(apart & cjk)),
            (2, acronym),
        ]
        return assign_levels(conditions, null, otherwise=1)

    def params(self) -> dict[str, Any]:
        return {
            "norm": self.norm,
            "latin": self.latin,
            "tokens": self.tokens,
            "core": self.core,
            "generic": self.generic,
            "place": self.place,
            "place_path": self.place_path,
            "token_threshold": self.token_threshold,
            "jw_thresholds": list(self.jw_thresholds),
            "core_threshold": self.core_threshold,
            "typo_threshold": self.typo_threshold,
            "name": self.name,
        }


_RUN_ON_LETTERS = 4  # pinyin letters of two syllables, at the least
_TYPO_MIN_LENGTH = 6
"""Distinctive words shorter than this are never a typo of each other ("hughesc" and
"hughesl" stay apart by the similarity bound; short ones by this)."""
_TYPO_MIN_WORD, _TYPO_WORD_SIMILARITY = 5, 0.8
"""The one word two names differ in is a misspelling when both spellings are this long and
this alike."""
_PLACE_DEPTH = 4
"""Levels of a place path: province, city, county or district, town or street."""


def _cjk_only(text: Any) -> bool:
    """Every character but spaces is a CJK one."""
    return bool(_CJK_ONLY.fullmatch(str(text)))


def _place_paths(frame: pd.DataFrame, paths: str, place: str) -> np.ndarray:
    """Per record the codes of its place path's prefixes, general to specific, (n, depth)
    int64, -1 past the path's end. Without a path column, the place itself is a path of one."""
    column = Distinct.column(frame, paths if paths in frame else place)
    prefixes = [str(v).split()[:_PLACE_DEPTH] for v in column.values.tolist()]
    table = np.full((len(prefixes) + 1, _PLACE_DEPTH), -1, dtype=np.int64)  # last: missing
    for depth in range(_PLACE_DEPTH):
        keys = [" ".join(p[: depth + 1]) if len(p) > depth else None for p in prefixes]
        codes, _ = pd.factorize(pd.Series(keys, dtype=object), use_na_sentinel=True)
        table[: len(prefixes), depth] = codes
    return table[column.codes]


def _one_word_misspelt(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per pair of token texts: they differ in one word each, a misspelling of a long word
    ("phillips" / "philips"), not in a short one ("applicant aa" / "applicant ab")."""
    out = np.zeros(len(left), dtype=bool)
    seen: dict[tuple[str, str], bool] = {}
    for i, pair in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        found = seen.get(pair)
        if found is None:
            a, b = set(str(pair[0]).split()), set(str(pair[1]).split())
            only_a, only_b = a - b, b - a
            found = seen[pair] = (
                len(only_a) == len(only_b) == 1
                and min(len(w) for w in (*only_a, *only_b)) >= _TYPO_MIN_WORD
                and Indel.normalized_similarity(*only_a, *only_b) >= _TYPO_WORD_SIMILARITY
            )
        out[i] = found
    return out


def _places_conflict(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Neither place path inside the other: they differ at the depth both reach."""
    depth = np.minimum((left >= 0).sum(axis=1), (right >= 0).sum(axis=1))
    rows = np.flatnonzero(depth > 0)
    out = np.zeros(len(left), dtype=bool)
    at = depth[rows] - 1
    out[rows] = left[rows, at] != right[rows, at]
    return out


def _acronym_codes(tokens: Distinct) -> Prepared:
    """Per record, codes of its name's acronym and of its name without spaces, in one code
    space (-1 = none), so "one name is the acronym of the other" is an integer test."""
    acronym = tokens.derive(_acronym)
    compact = tokens.derive(lambda t: str(t).replace(" ", ""))
    codes, _ = pd.factorize(np.concatenate([acronym.values, compact.values]))
    codes = codes.astype(np.int64)
    return {
        "acronym_code": np.append(codes[: len(acronym.values)], -1)[acronym.codes],
        "compact_code": np.append(codes[len(acronym.values) :], -1)[compact.codes],
    }


def _acronym_match(left: Prepared, right: Prepared, mask: np.ndarray) -> np.ndarray:
    """Where ``mask``: is one name the acronym of the other?"""
    la, ra = left["acronym_code"], right["acronym_code"]
    lc, rc = left["compact_code"], right["compact_code"]
    return mask & (((la >= 0) & (la == rc)) | ((ra >= 0) & (ra == lc)))


def _translated_industries(generic: str) -> str:
    """Industry words with each group of translation synonyms as one (``machinery`` and
    ``equipment``: ``equipment``), sorted."""
    synonyms = industry_synonyms()
    return " ".join(sorted({synonyms.get(w, w) for w in generic.split()}))
