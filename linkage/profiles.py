"""Survivorship: one profile per entity, with the record that gave each surviving value.

For every canonical field the value comes from the member of the best-ranked source (lowest
priority number) that has one; ties go to the smallest uid. All name variants and all identifier
values are kept. The configurable rules of issue 6 replace this default behind the same seam.
"""

from __future__ import annotations

import json

import pandas as pd

from linkage.config import CANONICAL_FIELDS

LIST_SEPARATOR = " | "


def build_profiles(
    features: pd.DataFrame, memberships: pd.DataFrame, priorities: dict[str, int]
) -> pd.DataFrame:
    """Entities table: survived values, name variants, identifiers, members and provenance."""
    table = features.assign(
        entity_id=memberships.set_index("uid")["entity_id"].reindex(features["uid"]).to_numpy(),
        _rank=features["source"].map(priorities),
    ).sort_values(["entity_id", "_rank", "uid"], kind="stable")
    groups = table.groupby("entity_id", sort=True)
    entities = pd.DataFrame(index=pd.Index(sorted(table["entity_id"].unique()), name="entity_id"))
    entities["member_count"] = groups.size()
    entities["sources"] = groups["source"].agg(_joined)
    provenance: dict[str, pd.Series] = {}
    for field in [f for f in CANONICAL_FIELDS if f in table]:
        present = table[table[field].notna() & (table[field].astype(str).str.strip() != "")]
        first = present.drop_duplicates("entity_id").set_index("entity_id")
        entities[field] = first[field].reindex(entities.index)
        provenance[field] = first["uid"].reindex(entities.index)
    if "name" in table:
        entities["name_variants"] = groups["name"].agg(_joined)
    for column in sorted(c for c in table if c.startswith("id_") and c.endswith("_norm")):
        entities[column.removesuffix("_norm")] = groups[column].agg(_joined)
    entities["provenance"] = [
        json.dumps(
            {f: s[e] for f, s in provenance.items() if pd.notna(s[e])},
            ensure_ascii=False,
            sort_keys=True,
        )
        for e in entities.index
    ]
    return entities.reset_index()


def _joined(values: pd.Series) -> str:
    """Distinct non-empty values, sorted, joined with ' | '."""
    distinct = sorted({str(v) for v in values.dropna() if str(v).strip()})
    return LIST_SEPARATOR.join(distinct)
