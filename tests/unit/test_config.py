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


def source(**extra: object) -> dict:
    return {"name": "a", "path": "a.csv", "id": "id", "fields": {"name": "n"}, **extra}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"sources": [source(encoding="rot13")]}, "sources[0].encoding: unknown text encoding"),
        ({"sources": [source(delimiter="\n")]}, "sources[0].delimiter: a line break or a quote"),
        (
            {"sources": [source(fields={"founded": "f"}, formats={"founded": "%Q%"})]},
            "sources[0].formats.founded: unknown directive(s) %Q, a lone % at the end",
        ),
        (
            {"sources": [source(fields={"founded": "f"}, formats={"founded": "YYYY-MM-DD"})]},
            "sources[0].formats.founded: a date format needs % directives",
        ),
        ({"sources": [source(unique="yes")]}, "sources[0].unique: Input should be a valid boolean"),
        (
            {
                "sources": [source()],
                "blocking": {
                    "rules": [
                        {
                            "name": "r",
                            "columns": ["name_norm"],
                            "kind": "sorted_neighbourhood",
                            "window": 1_000_000_000,
                        }
                    ]
                },
            },
            "blocking.rules[0].window: Input should be less than or equal to 1000",
        ),
        (
            {
                "sources": [source()],
                "comparisons": [
                    {
                        "type": "JaroWinklerAtThresholds",
                        "column": "name_norm",
                        "thresholds": [5.0, -1.0],
                    }
                ],
            },
            "comparisons[0].thresholds: similarities lie in (0, 1]",
        ),
        (
            {
                "sources": [source()],
                "comparisons": [
                    {"type": "LevenshteinAtThresholds", "column": "name_norm", "thresholds": [2, 1]}
                ],
            },
            "comparisons[0].thresholds: closest first (ascending)",
        ),
        (
            {"sources": [source()], "survivorship": {"fields": {"nmae": "longest"}}},
            "survivorship.fields.nmae: unknown field; did you mean 'name'?",
        ),
        (
            {"sources": [source()], "survivorship": {"default": "most_recent", "date": "updated"}},
            "survivorship.date: unknown field 'updated'",
        ),
    ],
)
def test_settings_that_cannot_work_are_refused_with_their_toml_path(
    data: dict, expected: str
) -> None:
    found = problems_of(data)
    assert any(p.startswith(expected) for p in found), found


def test_what_a_config_names_is_checked_before_any_record_is_read(tmp_path: Path) -> None:
    from linkage.contract import check_config

    (tmp_path / "a.csv").write_text("id,n\n1,x\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    data = {
        "sources": [
            source(identifiers={"cn_org_code": "c", "foo": "d", "uscc": "e"}),
            {"name": "b", "path": "folder", "id": "id"},
            {"name": "c", "path": "/dev/zero", "id": "id"},
        ],
        "blocking": {
            "rules": [
                {"name": "r", "columns": ["vat_number"]},
                {"name": "p", "columns": ["phone_e164"]},
            ]
        },
        "comparisons": [
            {"type": "ExactMatch", "column": "name_norm"},
            {"type": "ExactMatch", "column": "nmae_norm"},
        ],
    }
    config = Config.from_dict(data, base_dir=tmp_path)
    with pytest.raises(ConfigError) as caught:
        check_config(config)
    found = [str(p) for p in caught.value.problems]
    assert any(
        p.startswith("sources[0].identifiers.cn_org_code: unknown identifier scheme") for p in found
    )
    assert any(p.startswith("sources[0].identifiers.foo: unknown identifier scheme") for p in found)
    assert not any("identifiers.uscc" in p for p in found)
    assert any(p.startswith("sources[1].path:") and "is a folder" in p for p in found)
    assert any(p.startswith("sources[2].path:") and "not a regular file" in p for p in found)
    assert any(
        p.startswith("blocking.rules[0].columns: no source gives a column 'vat_number'")
        for p in found
    )
    assert any(
        p.startswith("blocking.rules[1].columns: column 'phone_e164' comes from phone")
        for p in found
    )
    assert any(
        p.startswith("comparisons[1].column: no source gives a column 'nmae_norm'") for p in found
    )
    assert not any(p.startswith("comparisons[0]") for p in found)
