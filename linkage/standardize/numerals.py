"""Numbers and ordinals as names write them, read as digits: Chinese numerals (三, 十二), their
pinyin (er, shiyi, Di Er) and Latin ordinals (No. 2, second, 2nd), so that the renderings of a
numbered unit agree."""

from __future__ import annotations

import re

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
CN_NUMERAL = "[零〇一二三四五六七八九十百两0-9]+"
# an ordinal's numeral does not end in 百: 第一百货门市部 is the first general store (百货)
CN_ORDINAL = re.compile(f"第({CN_NUMERAL[:-1]}*[零〇一二三四五六七八九十两0-9])")
ORDINAL_WORDS = {
    word: number
    for number, word in enumerate(
        [
            "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
            "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth",
        ],
        start=1,
    )
}  # fmt: skip
ORDINAL_TOKEN = re.compile(r"^(?:no)?(\d{1,4})(?:st|nd|rd|th)?$")
# Chinese numerals in pinyin, as agencies write 第二 (Di Er, Dier, Di'er): syllable -> numeral
_PINYIN_NUMERALS = {
    "ling": "零", "yi": "一", "er": "二", "san": "三", "si": "四", "wu": "五", "liu": "六",
    "qi": "七", "ba": "八", "jiu": "九", "shi": "十", "bai": "百",
}  # fmt: skip
_PINYIN_NUMERAL = re.compile(f"(?:{'|'.join(sorted(_PINYIN_NUMERALS, key=len, reverse=True))})")


def chinese_number(text: str) -> int | None:
    """Read a number written in digits or Chinese numerals (``三`` -> 3, ``十二`` -> 12)."""
    if text.isdigit():
        return int(text)
    if "十" not in text and "百" not in text:
        digits = [_CN_DIGITS.get(c) for c in text]
        return None if None in digits else int("".join(str(d) for d in digits))
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in "十百":
            total += (current or 1) * (10 if char == "十" else 100)
            current = 0
        else:
            return None
    return total + current


def ordinals_to_digits(text: str) -> str:
    """Write ordinals as digits (``尧塘第二`` -> ``尧塘2``), as Latin renderings do (No. 2)."""
    if "第" not in text:
        return text
    return CN_ORDINAL.sub(lambda m: str(chinese_number(m.group(1))), text)


def pinyin_number(text: str) -> int | None:
    """Read a Chinese number written in pinyin syllables (``er`` -> 2, ``shiyi`` -> 11)."""
    syllables = _PINYIN_NUMERAL.findall(text)
    if not syllables or "".join(syllables) != text:
        return None
    return chinese_number("".join(_PINYIN_NUMERALS[s] for s in syllables))


def pinyin_ordinals(tokens: list[str]) -> list[str]:
    """Write ordinals in pinyin as digits (``di er``, ``dier`` -> ``2``): 第 + a numeral.
    A glued ``dishi`` stays (的士, a taxi, as often as 第十)."""
    if not any(t.startswith("di") for t in tokens):
        return tokens
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        number = None
        if token == "di" and index + 1 < len(tokens):
            number = pinyin_number(tokens[index + 1])
            if number is not None:
                index += 1
        elif token.startswith("di") and token != "dishi":
            number = pinyin_number(token[2:])
        out.append(token if number is None else str(number))
        index += 1
    return out


def latin_ordinals(tokens: list[str]) -> list[str]:
    """Write ordinals as digits (``no 2``, ``second``, ``2nd`` -> ``2``)."""
    out: list[str] = []
    for token in tokens:
        if token in ORDINAL_WORDS:
            token = str(ORDINAL_WORDS[token])
        elif (match := ORDINAL_TOKEN.match(token)) is not None:
            token = match.group(1)
            if out and out[-1] in ("no", "number"):
                out.pop()
        out.append(token)
    return out
