"""The automatic choice of comparisons from the fields a run has, or the config's pinned ones.

Every choice is written to the run manifest (``choices``) in the form the config accepts, so a
user can copy it and pin it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from linkage.compare.base import Comparison
from linkage.compare.library import (
    AddressComparison,
    DateComparison,
    EmailComparison,
    ExactMatch,
    IdentifierComparison,
    JaroWinklerAtThresholds,
    LevenshteinAtThresholds,
    PhoneComparison,
    comparison_from_dict,
)
from linkage.compare.names import CompanyNameComparison


def _present(features: pd.DataFrame, column: str) -> bool:
    """Does any record hold a non-blank value in ``column``? (stops at the first one)"""
    if column not in features:
        return False
    return any(str(value).strip() for value in features[column].dropna().to_numpy())


DESCRIPTIVE_TYPES = ("text", "number", "category")
"""Custom field types that describe a firm rather than identify it (their disagreement is weak
evidence: see ``default_m``)."""


def comparison_for_field(column: str, field_type: str) -> Comparison:
    """The default comparison of a custom field, by its declared type."""
    descriptive = field_type in DESCRIPTIVE_TYPES
    if field_type in ("person_name", "text", "company_name", "address"):
        return JaroWinklerAtThresholds(column, (0.92, 0.8), descriptive=descriptive)
    if field_type == "date":
        return DateComparison(column)
    if field_type in ("identifier", "postcode", "number"):
        thresholds = (1, 2) if field_type == "identifier" else (1,)
        return LevenshteinAtThresholds(column, thresholds, descriptive=descriptive)
    if field_type == "phone":
        return PhoneComparison(column, name=column)
    return ExactMatch(column, descriptive=descriptive)


def choose_comparisons(
    features: pd.DataFrame, custom_fields: Mapping[str, str] | None = None
) -> list[Comparison]:
    """Comparisons for the standardised and custom fields that hold any value."""
    out: list[Comparison] = []
    if _present(features, "name_norm"):
        # the trade name, or the town of a name without one: a rendering may read a town as
        # the trade name (Huqiu Town Motorbike Parts: 苏州市虎丘摩托车配件厂)
        core = "name_head" if "name_head" in features else "name_core"
        out.append(CompanyNameComparison(core=core))
    if _present(features, "id_keys") or any(
        c.endswith("_norm") and c.startswith("id_") and _present(features, c) for c in features
    ):
        out.append(IdentifierComparison())
    if _present(features, "address_norm"):
        postcode = "postcode_norm" if _present(features, "postcode_norm") else None
        # no TF on exact addresses: a site listed many times looks like a shared address
        out.append(AddressComparison(postcode=postcode, number_conflict=True, tf_adjust=False))
    elif _present(features, "postcode_norm"):
        out.append(LevenshteinAtThresholds("postcode_norm", (1,), name="postcode"))
    if _present(features, "phone_e164"):
        # a number shared at another address is an organisation's line (PhoneComparison)
        address = next((c.name for c in out if isinstance(c, AddressComparison)), None)
        out.append(PhoneComparison(tf_adjust=True, address=address))
    if _present(features, "email_norm") or _present(features, "domain"):
        out.append(EmailComparison())
    for column, field_type in (("representative", "person_name"), ("city", "text")):
        if _present(features, column):
            out.append(comparison_for_field(column, field_type))
    for column in ("founded_date", "founded"):
        if _present(features, column):
            out.append(DateComparison(column, name="founded"))
            break
    for column, field_type in (custom_fields or {}).items():
        if _present(features, column):
            out.append(comparison_for_field(column, field_type))
    return out


def comparisons_from_config(items: list[Mapping[str, Any]]) -> list[Comparison]:
    """Comparisons pinned in the config (``[[comparisons]]`` tables of ``to_dict`` form)."""
    return [comparison_from_dict(item) for item in items]


def comparisons_for(config: Any, features: pd.DataFrame) -> list[Comparison]:
    """The pinned ``[[comparisons]]`` of the config, else the automatic ones."""
    if config.comparisons is not None:
        return comparisons_from_config(
            [c.model_dump(exclude_none=True) for c in config.comparisons]
        )
    return choose_comparisons(features, config.field_types())
