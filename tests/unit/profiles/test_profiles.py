"""Survivorship rules, identifiers by scheme, provenance and confidence of entity profiles."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from linkage.config import Config, SurvivorshipConfig
from linkage.errors import ConfigError
from linkage.profiles import build_profiles

PRIORITIES = {"reg": 1, "dir": 2, "web": 3}


def features() -> pd.DataFrame:
    rows = [
        # uid, source, name, address, phone, updated_date, uscc_norm, uscc_valid
        ("dir:1", "dir", "Acme Ltd", "1 High St", "+441", "2024-05-01", "X1", True),
        ("reg:1", "reg", "ACME LIMITED", "1 High Street, London", None, "2020-01-01", "X0", False),
        ("web:1", "web", "Acme Ltd", "", "+442", "2025-01-01", None, False),
        ("web:2", "web", "Acme Ltd", "2 Low Rd", "+442", None, "X1", True),
        ("reg:9", "reg", "Zeta PLC", None, None, None, None, False),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "uid",
            "source",
            "name",
            "address",
            "phone",
            "updated_date",
            "id_uscc_norm",
            "id_uscc_valid",
        ],
    )
    frame["record_id"] = frame["uid"].str.split(":").str[1]
    frame["updated"] = frame["updated_date"]
    return frame.sort_values("uid").reset_index(drop=True)


def memberships(frame: pd.DataFrame) -> pd.DataFrame:
    entity = ["E1" if u != "reg:9" else "E2" for u in frame["uid"]]
    confidence = [0.9 if u == "web:2" else 0.97 for u in frame["uid"]]
    return pd.DataFrame({"uid": frame["uid"], "entity_id": entity, "confidence": confidence})


def profile(rules: SurvivorshipConfig | None = None) -> pd.Series:
    frame = features()
    entities = build_profiles(frame, memberships(frame), PRIORITIES, rules)
    assert entities["entity_id"].tolist() == ["E1", "E2"]
    return entities.set_index("entity_id").loc["E1"]


def test_defaults_source_priority_keep_all_variants_and_valid_identifier_first() -> None:
    e1 = profile()
    assert e1["name"] == "ACME LIMITED" and e1["address"] == "1 High Street, London"
    assert e1["phone"] == "+441"  # reg has none: the next source in priority gives it
    assert e1["member_count"] == 4 and e1["sources"] == "dir | reg | web"
    assert e1["name_variants"] == "ACME LIMITED | Acme Ltd"
    assert e1["id_uscc"] == "X0 | X1"
    assert e1["id_uscc_primary"] == "X1"  # the valid one, although reg ranks first
    assert e1["confidence"] == 0.9
    provenance = json.loads(e1["provenance"])
    assert provenance["name"] == ["reg:1"]
    assert provenance["id_uscc_primary"] == ["dir:1", "web:2"]
    assert list(provenance) == sorted(provenance)


def test_configured_rules() -> None:
    rules = SurvivorshipConfig.model_validate(
        {
            "date": "updated",
            "identifiers": "source_priority",
            "fields": {
                "name": "most_frequent",
                "address": "longest",
                "phone": {"rule": "most_recent"},
            },
        }
    )
    e1 = profile(rules)
    assert e1["name"] == "Acme Ltd"
    assert json.loads(e1["provenance"])["name"] == ["dir:1", "web:1", "web:2"]
    assert e1["address"] == "1 High Street, London"
    assert e1["phone"] == "+442"  # web:1 is the most recent record with a phone
    assert json.loads(e1["provenance"])["phone"] == ["web:1", "web:2"]
    assert e1["id_uscc_primary"] == "X0"


def test_row_order_changes_nothing() -> None:
    frame = features()
    expected = build_profiles(frame, memberships(frame), PRIORITIES)
    shuffled = frame.sample(frac=1.0, random_state=3)
    got = build_profiles(shuffled, memberships(frame).sample(frac=1.0, random_state=4), PRIORITIES)
    pd.testing.assert_frame_equal(got, expected)


def test_survivorship_config_is_validated() -> None:
    base = {"sources": [{"name": "a", "path": "a.csv", "id": "id"}]}
    with pytest.raises(ConfigError, match="most_recent needs a date"):
        Config.from_dict({**base, "survivorship": {"fields": {"address": "most_recent"}}})
    with pytest.raises(ConfigError, match=r"survivorship\.fields\.address"):
        Config.from_dict({**base, "survivorship": {"fields": {"address": "newest"}}})
    with pytest.raises(ConfigError, match="did you mean 'default'"):
        Config.from_dict({**base, "survivorship": {"defualt": "longest"}})
    config = Config.from_dict({**base, "survivorship": {"default": "longest"}})
    assert config.survivorship.rule_for("city") == ("longest", None)


def test_auto_identifiers_survive_under_the_scheme_they_were_read_as() -> None:
    """A valid USCC mapped as ``auto`` joins the declared USCCs (and may be primary); an invalid
    value stays under ``id_auto``."""
    from linkage.standardize import build_features

    records = pd.DataFrame(
        {
            "uid": ["a:1", "a:2", "a:3"],
            "source": ["a"] * 3,
            "record_id": ["1", "2", "3"],
            "name": ["X Ltd"] * 3,
            "id_auto": ["91350100M000100Y43", None, "hello"],
            "id_uscc": [None, "91350100M000100Y44", None],  # fails its check digit
        }
    )
    features = build_features(records, workers=1)
    members = pd.DataFrame({"uid": records["uid"], "entity_id": "E1", "confidence": 1.0})
    entity = build_profiles(features, members, {"a": 1}).iloc[0]
    assert entity["id_uscc"] == "91350100M000100Y43 | 91350100M000100Y44"
    assert entity["id_uscc_primary"] == "91350100M000100Y43"  # valid first
    assert entity["id_auto"] == "HELLO"
