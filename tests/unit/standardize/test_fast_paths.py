"""Faster implementations inside the standardisers return what the reference calls return."""

from __future__ import annotations

import random
import re
import string
import unicodedata

import pytest
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from linkage.standardize import addresses, hanzi, identifiers, legal_forms, text

SAMPLES = [
    "",
    "华为",
    "重庆银行",
    "长城行长",
    "音乐厅",
    "中国人民银行",
    "ABC华为123",
    "華為技術",
    "株式会社トヨタ",
    "ü 〇々",
    "(深圳)华信",
    "a b  c",
]


def _reference(text: str) -> str:
    return "".join(lazy_pinyin(text)).lower()


@pytest.mark.parametrize("text", SAMPLES)
def test_romanise_equals_lazy_pinyin(text: str) -> None:
    assert hanzi.romanise(text) == _reference(text)


def test_romanise_equals_lazy_pinyin_on_random_text() -> None:
    rng = random.Random(7)
    chars = [chr(c) for c in sorted(PINYIN_DICT)]
    phrases = sorted(PHRASES_DICT)
    other = ["a", "Zh", "1", " ", "(", "-", "ü", "ア"]
    for _ in range(3000):
        pieces = [
            rng.choice(phrases) if (k := rng.random()) < 0.4 else
            rng.choice(chars) if k < 0.8 else rng.choice(other)
            for _ in range(rng.randint(1, 5))
        ]  # fmt: skip
        text = "".join(pieces)
        assert hanzi.romanise(text) == _reference(text), text


def test_fold_skips_translate_only_when_nothing_maps() -> None:
    for code in [*range(0x3000), 0xFF06, 0xFF0B, 0x1D400]:
        char = chr(code)
        assert (text._FOLD_CHARS.search(char) is not None) == (code in text.FOLD_TABLE), code
    for sample in ["Acme & Sons", "Café+Bar", "O'Brien", "Straße", "ＡＢＣ", "华信", "Æon", "abc"]:
        folded = unicodedata.normalize("NFKC", sample).casefold()
        if not folded.isascii():
            folded = unicodedata.normalize("NFKC", text._COMBINING.sub("", folded))
        assert text.fold(sample) == folded.translate(text.FOLD_TABLE)


def _org_check_reference(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, identifiers.ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def test_org_code_check_equals_reference() -> None:
    rng = random.Random(3)
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase + "٣"
    for _ in range(5000):
        body = "".join(rng.choice(alphabet) for _ in range(8))
        assert identifiers.org_code_check(body) == _org_check_reference(body), body
    for body in ["", "1234567", "123456789"]:
        with pytest.raises(ValueError):
            _org_check_reference(body)
        with pytest.raises(ValueError):
            identifiers.org_code_check(body)


def _address_reference(value: str) -> str | None:
    folded = text.fold(value)
    if text.has_cjk(folded):
        return re.sub(r"\s+", "", hanzi.to_simplified(folded)) or None
    cleaned = addresses._NON_WORD.sub(" ", addresses._GLUED_STRASSE.sub(r"\1 strasse", folded))
    tokens = addresses._FLOOR.sub(addresses._floor, cleaned).replace("/", " ").split()
    words = [addresses._ABBREVIATIONS.get(t, t) for t in tokens]
    return " ".join(w for w in words if w) or None


@pytest.mark.parametrize(
    "value",
    [
        "Hauptstr. 5",
        "Bahnhofstraße 12, 3. OG",
        "Rm 1203, 12/F, 88 Queen's Rd",
        "5th floor, 1 Main St",
        "F3 Block B",
        "Flat 2, 10 Downing Street",
        "北京市东城区迎宾大道312号1012室",
        "Strasse des 17. Juni",
        "",
        " / ",
    ],
)
def test_address_equals_reference(value: str) -> None:
    assert addresses.normalize_address.__wrapped__(value) == _address_reference(value)


def _strip_glued_reference(value: str) -> tuple[str, str | None]:
    """The regular-expression reading of ``legal_forms.strip_glued``."""
    variants = {text.fold(v): c for c, v, _ in legal_forms.load_table() if text.has_cjk(v)}
    ordered = sorted(variants, key=len, reverse=True)
    suffix = re.search(f"(?:{'|'.join(map(re.escape, ordered))})$", value)
    if suffix and suffix.start() > 0 and not value.endswith("\n"):
        return value[: suffix.start()], variants[suffix.group()]
    prefixes = [v for v in ordered if variants[v] in legal_forms.PREFIX_CODES]
    prefix = re.match(f"^(?:{'|'.join(map(re.escape, prefixes))})", value)
    if prefix and prefix.end() < len(value):
        return value[prefix.end() :], variants[prefix.group()]
    return value, None


def test_strip_glued_equals_reference() -> None:
    rng = random.Random(11)
    pieces = [
        "有限公司",
        "公司",
        "股份",
        "有限",
        "责任",
        "株式会社",
        "合伙",
        "(",
        ")",
        "华信",
        "集团",
    ]
    pieces += ["普通合伙", "(有限合伙)", "企业", "总", "a"]
    for _ in range(3000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        assert legal_forms.strip_glued(value) == _strip_glued_reference(value), value
