"""Blocking rules: named ways of deriving keys from features columns, and the automatic
choice of rules from the columns a run has."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from linkage.standardize.text import CJK_CHAR

RuleKind = Literal["exact", "tokens", "sorted_neighbourhood"]


@dataclass(frozen=True)
class BlockingRule:
    """A named way of deriving blocking keys from features columns.

    Attributes:
        name: the rule's name, recorded on every pair it finds.
        columns: the features columns the key comes from.
        kind: ``exact``, ``tokens`` or ``sorted_neighbourhood``.
        prefix: for ``exact``, compare only the first ``prefix`` characters of the last column.
        min_length: keys (tokens) shorter than this are ignored.
        max_block_size: skip (and report) keys held by more records than this; None = no cap.
        window: for ``sorted_neighbourhood``, how many neighbours each record meets.
        without: records holding a value in any of these columns take no key of this rule.
    """

    name: str
    columns: tuple[str, ...]
    kind: RuleKind = "exact"
    prefix: int | None = None
    min_length: int = 1
    max_block_size: int | None = None
    window: int = 5
    without: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what the manifest records and ``[blocking]`` accepts)."""
        data = asdict(self)
        data["columns"] = list(self.columns)
        data["without"] = list(self.without)
        return data


def _present(frame: pd.DataFrame, column: str) -> bool:
    """Does any record have a non-empty value in ``column``? (stops at the first one)"""
    if column not in frame:
        return False
    return any(str(value) != "" for value in frame[column].dropna().to_numpy())


SYLLABLE_BLOCK = 10
"""Records a syllable pair may hold and still block: rarer than a trade name's (on registries
built from real Jiangsu firms, 10 found 183 of 291 hanzi <-> Latin pairs no other rule found,
for 5% more candidate pairs)."""


def _both_scripts(features: pd.DataFrame) -> bool:
    """Do the names hold both hanzi and Latin-script ones? (the syllable-pair rule is for the
    pairs across them; within one script the other rules find what it would)"""
    if "name_norm" not in features:
        return False
    names = features["name_norm"].dropna().astype(str)
    hanzi = names.str.contains(CJK_CHAR, regex=True)  # has_cjk, vectorised
    return bool(hanzi.any()) and not bool(hanzi.all())


def choose_rules(
    features: pd.DataFrame,
    *,
    max_block_size: int = 200,
    custom_fields: dict[str, str] | None = None,
) -> list[BlockingRule]:
    """Automatic rules from the fields present, strongest evidence first.

    Identifier keys, exact and Latin-key names, phone, web domain, postcode + name prefix,
    name tokens, rare adjacent pinyin syllable pairs (when names come in both scripts), and a
    sorted neighbourhood on the Latin key; for custom fields, an exact rule
    on each field of a selective type (person names, identifiers, dates, phones, e-mails,
    postcodes) and a sorted neighbourhood on the first name-like field.
    """
    cap = max_block_size
    candidates = [
        BlockingRule("identifier", ("id_keys",), "tokens"),
        BlockingRule("name_exact", ("name_norm",), max_block_size=cap),
        BlockingRule("latin_exact", ("name_latin",), max_block_size=cap),
        # distinctive words and industry (or, for a name without a trade name, its most
        # specific place: 苏州市虎丘摩托车配件厂 / "Suzhou City Huqiu Town Motorbike Parts",
        # whose rendering read the town as the trade name: ``name_head``), then those alone
        # in small blocks (a trade name held by many firms is generic, and at 1M records its
        # blocks explode)
        BlockingRule(
            "head_generic", ("name_head", "name_generic"), min_length=3, max_block_size=cap
        ),
        BlockingRule("head_exact", ("name_head",), min_length=3, max_block_size=min(cap, 50)),
        # names without a trade name are their place and industry (南京六合种子公司 and
        # "Nanjing Liuhe Seeds Corp."), in the canonical Latin forms both scripts share
        BlockingRule(
            "place_generic",
            ("name_place_path", "name_generic"),
            max_block_size=cap,
            without=("name_core",),
        ),
        BlockingRule("phone", ("phone_e164",), max_block_size=cap),
        BlockingRule("domain", ("domain",), max_block_size=cap),
        BlockingRule("address_numbers", ("address_numbers",), min_length=5, max_block_size=cap),
        BlockingRule(
            "postcode_name", ("postcode_norm", "name_latin"), prefix=3, max_block_size=cap
        ),
        BlockingRule("name_token", ("name_tokens",), "tokens", min_length=2, max_block_size=cap),
    ]
    if _both_scripts(features):
        # hanzi names and Latin renderings whose parsed parts differ (常州市新安国峰 and
        # "Changzhou Guofeng ... (Xinan)") share a rare pair of adjacent pinyin syllables
        candidates.append(
            BlockingRule(
                "syllable_pairs",
                ("name_syllables",),
                "tokens",
                max_block_size=min(cap, SYLLABLE_BLOCK),
            )
        )
    rules = [r for r in candidates if all(_present(features, c) for c in r.columns)]
    selective = ("person_name", "company_name", "identifier", "date", "phone", "email", "url")
    for name, kind in (custom_fields or {}).items():
        if kind in selective and _present(features, name):
            rules.append(BlockingRule(f"{name}_exact", (name,), max_block_size=cap))
    if _present(features, "postcode_norm") and not any("postcode_norm" in r.columns for r in rules):
        rules.append(BlockingRule("postcode", ("postcode_norm",), max_block_size=cap))
    if _present(features, "name_latin"):
        rules.append(BlockingRule("latin_neighbours", ("name_latin",), "sorted_neighbourhood"))
    else:
        names = [n for n, k in (custom_fields or {}).items() if k in ("person_name", "text")]
        names = [n for n in names if _present(features, n)]
        if names:
            rules.append(
                BlockingRule(f"{names[0]}_neighbours", (names[0],), "sorted_neighbourhood")
            )
    return rules


def rules_for(config: Any, features: pd.DataFrame) -> list[BlockingRule]:
    """The pinned ``[blocking]`` rules of the config, else the automatic ones."""
    if config.blocking.rules is not None:
        return [
            BlockingRule(
                name=r.name,
                columns=tuple(r.columns),
                kind=r.kind,
                prefix=r.prefix,
                min_length=r.min_length,
                max_block_size=r.max_block_size,
                window=r.window,
                without=tuple(r.without),
            )
            for r in config.blocking.rules
        ]
    return choose_rules(
        features,
        max_block_size=config.matching.max_block_size,
        custom_fields=config.field_types(),
    )
