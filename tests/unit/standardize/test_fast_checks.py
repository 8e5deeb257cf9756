"""In-house valid-path checks agree with python-stdnum; the CJK spacing rule is unchanged."""

import random
import re

from stdnum import lei
from stdnum.cn import uscc

from linkage.standardize.chinese import _SPACE_NEAR_CJK
from linkage.standardize.identifiers import _lei_valid, _uscc_valid

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _mutations(valid: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = list(valid)
    for _ in range(count):
        chars = list(rng.choice(valid))
        for _ in range(rng.randint(0, 2)):
            chars[rng.randrange(len(chars))] = rng.choice(_ALPHABET)
        out.append("".join(chars)[: rng.choice([len(chars), len(chars), len(chars) - 1, 5])])
    return [*out, "", "1", "00", "97", "1" * 18, "9111000060003734\uff11L"]


def test_uscc_fast_check_never_accepts_what_stdnum_rejects() -> None:
    valid = ["91110000600037341L", "91310000MA1FL0YY4B", "91440300MA5F1BYE11"]
    valid = [v for v in valid if uscc.is_valid(v)] + ["91110000600037341L"]
    for value in _mutations(valid, 5000, 1):
        if _uscc_valid(value):
            assert uscc.is_valid(value), value
        elif value.isascii():
            assert not uscc.is_valid(value), value


def test_lei_fast_check_agrees_with_stdnum() -> None:
    valid = ["529900T8BM49AURSDO55", "5493001KJTIIGC8Y1R12", "213800D1EI4B9WTWWD28"]
    for value in _mutations(valid, 5000, 2):
        assert _lei_valid(value) == lei.is_valid(value), value


def test_cjk_spacing_matches_the_template_rule() -> None:
    old = re.compile(r"\s*([\u3000-\u9fff\uf900-\ufaff\U00020000-\U0003ffff()])\s*")
    rng = random.Random(3)
    chars = [*"ab 1 ()华信 科 \t", "\U00020001", "\u3000", "\u3001"]
    for _ in range(5000):
        text = " ".join("".join(rng.choice(chars) for _ in range(rng.randint(0, 14))).split())
        assert _SPACE_NEAR_CJK.sub("", text) == old.sub(r"\1", text), text
