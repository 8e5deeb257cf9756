"""Chinese codes checked a column at a time give what parse_identifier gives, value by value."""

import random

import numpy as np
import pandas as pd
import pytest

from linkage.datasets.identifiers import org_codes, uscc_codes
from linkage.standardize import features
from linkage.standardize.identifier_batch import SCHEMES, clean_valid_codes

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _valid_codes(count: int) -> tuple[list[str], list[str], list[str]]:
    """Valid USCCs, tax numbers and organisation codes, old and new style."""
    rng = np.random.default_rng(5)
    org = org_codes(rng, rng.random(count) < 0.5)
    admin = rng.integers(110000, 660000, count)
    uscc = uscc_codes(admin, org)
    orgs = [bytes(row).decode() for row in org]
    usccs = [bytes(row).decode() for row in uscc]
    taxes = [f"{a}{o}" for a, o in zip(admin.tolist(), orgs, strict=True)]
    return usccs, taxes, orgs


def _variants(valid: list[str], seed: int) -> list[str]:
    """The valid codes, and each bent: a character changed, cut short, lower case, spaced,
    full-width, with a hyphen."""
    rng = random.Random(seed)
    out = list(valid)
    for code in valid:
        chars = list(code)
        chars[rng.randrange(len(chars))] = rng.choice(_ALPHABET)
        out += ["".join(chars), code[:-1], code.lower(), f"{code[:6]} {code[6:]}", f"{code}-"]
        out.append(code.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    return [*out, "", "X", "I" * 18, "O" * 15, "123456789"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_batch_results_equal_parse_identifier(scheme: str) -> None:
    usccs, taxes, orgs = _valid_codes(400)
    valid = {"uscc": usccs, "cn_tax": taxes, "cn_org": orgs}[scheme]
    texts = _variants(valid, 7) + _variants(usccs[:50] + taxes[:50] + orgs[:50], 8)
    mask, results = clean_valid_codes(texts, scheme)
    parse = features._identifier_item(scheme)
    assert mask.sum() == len(results)
    assert [parse(t) for t, found in zip(texts, mask, strict=True) if found] == results
    # every clean valid code of the scheme is found (the batch leaves nothing it could do)
    assert set(valid) <= {t for t, found in zip(texts, mask, strict=True) if found}
    # and what it leaves is not a clean, valid code of the scheme
    for text, found in zip(texts, mask, strict=True):
        if not found:
            value, is_valid, parsed_scheme, *_ = parse(text)
            assert not (is_valid and parsed_scheme == scheme and value == text), text


def test_features_equal_with_and_without_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    usccs, taxes, _ = _valid_codes(60)
    ids = [*_variants(usccs[:30], 3), None, "  ", *taxes[:20]]
    records = pd.DataFrame(
        {
            "uid": [f"r{i}" for i in range(len(ids))],
            "source": "s",
            "record_id": [str(i) for i in range(len(ids))],
            "id_uscc": ids,
            "id_cn_tax": list(reversed(ids)),
        }
    )
    batched = features.build_features(records, workers=1)
    monkeypatch.setattr(features, "BATCH_SCHEMES", ())
    assert batched.equals(features.build_features(records, workers=1))
