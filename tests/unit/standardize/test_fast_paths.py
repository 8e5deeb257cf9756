"""Faster implementations inside the standardisers return what the reference calls return."""

from __future__ import annotations

import random

import pytest
from pypinyin import lazy_pinyin
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

from linkage.standardize import chinese

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
    assert chinese.romanise(text) == _reference(text)


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
        assert chinese.romanise(text) == _reference(text), text
