"""Chinese characters: traditional to simplified (OpenCC) and toneless pinyin (pypinyin).

Both libraries load large dictionaries, so they are imported on first use: a CLI call that never
meets a Chinese name does not pay for them.
"""

from __future__ import annotations

from functools import cache, lru_cache
from itertools import chain
from typing import Any


@cache
def _converter() -> Any:
    import opencc  # imported on first use: loading it costs every CLI call

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional to simplified characters (OpenCC t2s), repeated until stable.

    A few rare characters convert in two steps; repeating keeps normalisation idempotent.
    """
    for _ in range(3):
        converted = _converter().convert(text)
        if converted == text:
            break
        text = converted
    return text


@cache
def _pinyin() -> tuple[Any, Any, Any]:
    """pypinyin's segmenter and the converter ``lazy_pinyin`` builds with its defaults."""
    from pypinyin import Style  # its phrase dictionary takes ~0.2 s to import
    from pypinyin.converter import UltimateConverter
    from pypinyin.core import Pinyin

    converter = UltimateConverter()
    return Pinyin(converter), converter, Style.NORMAL


@lru_cache(maxsize=1 << 16)
def _word_pinyin(word: str) -> str:
    """Toneless pinyin of one segment (a dictionary phrase, a character or a non-Chinese run)."""
    _, converter, normal = _pinyin()
    return "".join(chain.from_iterable(converter.convert(word, normal, False, "default", True)))


@lru_cache(maxsize=1 << 17)
def romanise(text: str) -> str:
    """Pinyin without tones or spaces; non-Chinese characters pass through lower-cased.

    Equals ``"".join(pypinyin.lazy_pinyin(text)).lower()``: the text is segmented as
    ``lazy_pinyin`` does and each segment converted once (segments repeat across names).
    """
    return "".join([_word_pinyin(w) for w in _pinyin()[0].seg(text)]).lower()


@lru_cache(maxsize=1 << 14)
def char_pinyin(char: str) -> str:
    """Toneless pinyin of one character in its most common reading (行: ``xing``)."""
    return _word_pinyin(char).lower()
