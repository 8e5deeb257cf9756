"""Property tests: normalisers never raise, are idempotent and never empty a name."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkage.standardize import (
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    parse_identifier,
    registrable_domain,
)

# Arbitrary Unicode plus text built from the pieces company names are made of.
PIECES = st.sampled_from(
    ["Ltd", "GmbH", "&", "Co.", "S.p.A.", "(", ")", "（", "）", "有限公司", "深圳", "市", "华信",
     "科技", "分公司", "Branch", "Beijing", " ", "-", "ООО", "A/S", "株式会社", "集团", "股份",
     "江苏省", "如东县", "东海", "镇", "县", "支行", "门市部", "第三", "八", "厂", "银行", "开发区",
     "中国", "公司", "Sub-branch", "No. 3", "Store", "of", "Bank", "Nanjing", "shihua", "keji",
     "xian", "County", "Office"]
)  # fmt: skip
NAMES = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=3))).map("".join))


@settings(max_examples=400, deadline=None)
@given(NAMES)
def test_name_norm_is_idempotent_and_never_empty(text: str) -> None:
    parsed = normalize_name(text)
    assert normalize_name(parsed.norm).norm == parsed.norm
    if text.strip():
        assert parsed.norm
        assert parsed.latin


@settings(max_examples=300, deadline=None)
@given(NAMES)
def test_a_sub_unit_is_never_its_parent(text: str) -> None:
    parsed = normalize_name(text)
    if parsed.is_branch:
        assert parsed.parent is not None and parsed.unit_key
        assert parsed.norm != parsed.parent
    else:
        assert parsed.parent is None and parsed.unit_key is None


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_other_normalisers_never_raise(text: str) -> None:
    normalize_address(text)
    normalize_email(text)
    normalize_phone(text, region="CN")
    normalize_postcode(text, "GB")
    registrable_domain(text)
    parse_identifier(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("F_0")
def test_address_and_postcode_are_idempotent(text: str) -> None:
    address = normalize_address(text)
    if address is not None:
        assert normalize_address(address) == address
    postcode = normalize_postcode(text, "GB")
    if postcode is not None:
        assert normalize_postcode(postcode, "GB") == postcode
