"""Hanzi renderings of a registered name as other Chinese registries write it, and the
homophone slips of typists.

Layouts (``LAYOUTS``) rebuild a name from its anatomy: without the province, with it added,
without any place, with the place suffixes dropped (``常州市`` -> ``常州``), the place in
brackets before the form (``华信科技(苏州)有限公司``), ``有限公司`` <-> ``有限责任公司``, or the
short name of judgments (trade name and industry only). A sub-unit keeps its tails in every
layout: its unit is part of its identity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from pypinyin import lazy_pinyin

from linkage.datasets.zh_anatomy import Anatomy, Place

LAYOUTS = (
    "registered",
    "no_province",
    "with_province",
    "no_place",
    "bare_suffix",
    "bracket",
    "form_swap",
    "short",
)
_FORM_SWAP = {"有限公司": "有限责任公司", "有限责任公司": "有限公司"}
_FULL_WIDTH = str.maketrans({"(": "（", ")": "）"})


def _compose(
    a: Anatomy,
    places: tuple[Place, ...],
    *,
    bracket: Place | None = None,
    form: str | None = None,
    keep_suffix: bool = True,
) -> str:
    """Places + trade name + industry words + (bracketed place) + form + tails."""
    head = "".join(p.text if keep_suffix or p.level == "zone" else p.stem for p in places)
    bracket = bracket if bracket is not None else a.bracket_place
    inner = f"({bracket.stem if bracket.stem else bracket.text})" if bracket else ""
    form = a.form if form is None else form
    return head + a.trade + "".join(a.industry) + inner + form + "".join(t.text for t in a.tails)


def hanzi_name(a: Anatomy, layout: str, province: str = "") -> str:
    """The name of ``a`` in one of ``LAYOUTS``; ``province`` (``江苏``) is what
    ``with_province`` puts in front. A layout that does not apply gives the registered name."""
    places = a.places
    leading_province = bool(places) and places[0].level in ("province", "country")
    if layout == "no_province" and leading_province:
        return _compose(a, places[1:])
    if layout == "with_province" and province and not leading_province:
        return _compose(a, (Place(province, "省", "province"), *places))
    if layout == "no_place" and places and (a.trade or a.industry):
        return _compose(a, ())
    if layout == "bare_suffix" and any(p.suffix for p in places):
        return _compose(a, places, keep_suffix=False)
    if layout == "bracket" and places and a.trade and a.form and not leading_province:
        return _compose(a, places[:-1], bracket=places[-1])
    if layout == "form_swap" and a.form in _FORM_SWAP:
        return _compose(a, places, form=_FORM_SWAP[a.form])
    if layout == "short" and a.trade:
        return (
            a.trade + "".join(w for w in a.industry if w != "厂") + "".join(t.text for t in a.tails)
        )
    return a.registered


def draw_layouts(rng: np.random.Generator, n: int, weights: dict[str, float]) -> np.ndarray:
    """``n`` layout names drawn with the given weights (layouts not named get none)."""
    names = list(weights)
    p = np.array([weights[k] for k in names], dtype=float)
    return np.array(names, dtype=object)[rng.choice(len(names), size=n, p=p / p.sum())]


def full_width(values: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Full-width brackets in a ``rate`` share of values (``（苏州）``), as many registries type."""
    out = values.copy()
    for i in np.flatnonzero(rng.random(len(out)) < rate):
        out[i] = out[i].translate(_FULL_WIDTH)
    return out


def homophone_table(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each hanzi of ``names`` -> the other hanzi of ``names`` read with the same syllable."""
    chars = sorted({ch for name in names for ch in name if "\u4e00" <= ch <= "\u9fff"})
    by_sound: dict[str, list[str]] = defaultdict(list)
    for ch in chars:
        by_sound[lazy_pinyin(ch)[0]].append(ch)
    return {
        ch: tuple(c for c in group if c != ch)
        for group in by_sound.values()
        for ch in group
        if len(group) > 1
    }


def homophones(
    values: np.ndarray,
    trades: np.ndarray,
    rate: float,
    rng: np.random.Generator,
    table: dict[str, tuple[str, ...]],
) -> np.ndarray:
    """Replace one hanzi by a homophone in a ``rate`` share of values, inside the trade name
    when the value holds it (where a typist's ear errs and identity lives), else anywhere but
    the first character."""
    out = values.copy()
    idx = np.flatnonzero(rng.random(len(out)) < rate)
    pos_u, pick_u = rng.random(len(idx)), rng.random(len(idx))
    for i, pu, ku in zip(idx, pos_u, pick_u, strict=True):
        text, trade = out[i], trades[i]
        start = text.find(trade) if trade else -1
        lo, hi = (start, start + len(trade)) if start >= 0 else (1, len(text))
        spots = [p for p in range(lo, hi) if text[p] in table]
        if not spots:
            continue
        p = spots[int(pu * len(spots))]
        alternatives = table[text[p]]
        out[i] = text[:p] + alternatives[int(ku * len(alternatives))] + text[p + 1 :]
    return out
