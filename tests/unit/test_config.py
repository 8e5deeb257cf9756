from pathlib import Path

import pytest

from linkage.config import Config, load_config
from linkage.errors import ConfigError


def problems_of(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        Config.from_dict(data)
    return [str(p) for p in caught.value.problems]


def test_minimal_config_gets_defaults() -> None:
    config = Config.from_dict({"sources": [{"name": "a", "path": "a.csv", "id": "id"}]})
    assert config.matching.threshold is None  # chosen per run (expected F1)
    assert config.priority(config.sources[0]) == 1
    assert config.sources[0].resolved_format() == "csv"


def test_every_problem_is_reported_at_once_with_its_toml_path() -> None:
    found = problems_of(
        {
            "sources": [
                {"name": "a", "path": "a.csv", "id": "id"},
                {"name": "b", "path": "b.csv", "id": "id"},
                {"name": "c", "path": "c.csv", "id": "id", "fields": {"nmae": "x"}},
                {"name": "a", "path": "d.csv", "id": 5, "bogus_key": "red"},
            ],
            "matching": {"treshold": 0.5},
        }
    )
    assert any(
        p.startswith("sources[2].fields.nmae: unknown field; did you mean 'name'?") for p in found
    )
    assert "sources[3].name: duplicate of sources[0].name" in found
    assert any(p.startswith("sources[3].id:") for p in found)
    assert "sources[3].bogus_key: unknown key" in found
    assert "matching.treshold: unknown key; did you mean 'threshold'?" in found


def test_custom_fields_need_a_known_type_and_may_then_be_mapped() -> None:
    config = Config.from_dict(
        {
            "sources": [{"name": "a", "path": "a.csv", "id": "id", "fields": {"ceo": "boss"}}],
            "fields": {"ceo": {"type": "person_name"}},
        }
    )
    assert config.fields["ceo"].type == "person_name"
    found = problems_of(
        {"sources": [{"name": "a", "path": "a.csv", "id": "id"}], "fields": {"x": {"type": "blob"}}}
    )
    assert any(p.startswith("fields.x.type:") for p in found)


def test_bad_encoding_delimiter_format_and_source_name_are_reported() -> None:
    found = problems_of(
        {
            "sources": [
                {
                    "name": "a:b",
                    "path": "a.csv",
                    "id": "id",
                    "encoding": "klingon",
                    "delimiter": ";;",
                    "formats": {"founded": "%Y"},
                }
            ]
        }
    )
    assert {p.split(":")[0] for p in found} >= {
        "sources[0].name",
        "sources[0].encoding",
        "sources[0].delimiter",
        "sources[0].formats.founded",
    }


def test_load_config_names_the_file_and_resolves_paths(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[sources]]\nname = "a"\npath = "data/a.csv"\nid = "id"\n', encoding="utf-8")
    config = load_config(path)
    assert config.source_path(config.sources[0]) == tmp_path / "data" / "a.csv"
    path.write_text("[[sources]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")


def test_digest_changes_with_the_config() -> None:
    a = Config.from_dict({"sources": [{"name": "a", "path": "a.csv", "id": "id"}]})
    b = Config.from_dict({"sources": [{"name": "a", "path": "a.csv", "id": "key"}]})
    assert a.digest() != b.digest()
    assert a.digest() == Config.from_dict(a.model_dump(mode="json")).digest()


def test_unknown_keys_inside_list_and_union_tables_are_reported_with_clean_paths() -> None:
    base = {"sources": [{"name": "a", "path": "a.csv", "id": "id"}]}
    found = problems_of(
        base | {"blocking": {"rules": [{"name": "x", "columns": ["c"], "windw": 3}]}}
    )
    assert "blocking.rules[0].windw: unknown key; did you mean 'window'?" in found
    found = problems_of(base | {"survivorship": {"fields": {"name": {"rle": "longest"}}}})
    assert "survivorship.fields.name.rle: unknown key; did you mean 'rule'?" in found


def test_reserved_custom_field_and_scheme_names_are_refused() -> None:
    found = problems_of(
        {
            "sources": [{"name": "a", "path": "a.csv", "id": "id", "identifiers": {"keys": "k"}}],
            "fields": {n: {"type": "text"} for n in ("uid", "source", "id_x", "name_core", "Ceo")},
        }
    )
    paths = {p.split(":")[0] for p in found}
    assert paths == {
        "fields.uid",
        "fields.source",
        "fields.id_x",
        "fields.name_core",
        "fields.Ceo",
        "sources[0].identifiers.keys",
    }
