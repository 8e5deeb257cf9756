import json
from pathlib import Path

import pandas as pd
import pytest

from linkage.config import Config
from linkage.errors import ConfigError, InputError
from linkage.sources import read_dataframe, read_file, read_sources


def source(**kw: object) -> Config:
    base = {"name": "reg", "path": "reg.csv", "id": "id", "fields": {"name": "name"}}
    return Config.from_dict({"sources": [base | kw]})


def problems(file: Path, **kw: object) -> list[str]:
    config = source(**kw)
    with pytest.raises(InputError) as caught:
        read_file(file, config.sources[0])
    return [str(p) for p in caught.value.problems]


def test_csv_maps_columns_keeps_raw_values_and_fingerprints(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text('id,name,code\n 7 ,"Acme, Ltd ",91-X\n8,,\n', encoding="utf-8")
    config = source(identifiers={"uscc": "code"})
    table = read_file(path, config.sources[0])
    records = table.records
    assert records["uid"].tolist() == ["reg:7", "reg:8"]
    assert records["name"].tolist() == ["Acme, Ltd ", None]
    assert records["id_uscc"].tolist() == ["91-X", None]
    assert table.fingerprint.rows == 2 and len(table.fingerprint.sha256) == 64


def test_utf8_bom_and_gb18030_are_read(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes("id,name\n1,华为技术有限公司\n".encode("utf-8-sig"))
    assert read_file(bom, source().sources[0]).records["name"][0] == "华为技术有限公司"
    gb = tmp_path / "gb.csv"
    gb.write_bytes("id,名称\n1,深圳市华信科技有限公司\n".encode("gb18030"))
    config = source(encoding="gb18030", fields={"name": "名称"})
    assert read_file(gb, config.sources[0]).records["name"][0] == "深圳市华信科技有限公司"


def test_undecodable_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_bytes("id,name\n1,ok\n2,深圳华信\n".encode("gb18030"))
    [message] = problems(path)
    assert "reg.csv, row 3" in message and "gb18030" in message


def test_ragged_rows_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("id,name\n1,a\n2,b,extra\n3\n4,d\n", encoding="utf-8")
    found = problems(path)
    assert any("row 3" in p and "3 fields" in p for p in found)
    assert any("row 4" in p and "1 fields" in p for p in found)


def test_missing_file_empty_file_and_header_only(tmp_path: Path) -> None:
    assert "file not found" in problems(tmp_path / "nope.csv")[0]
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "file is empty" in problems(empty)[0]
    header = tmp_path / "header.csv"
    header.write_text("id,name\n", encoding="utf-8")
    assert "no records" in problems(header)[0]


def test_missing_columns_are_named_with_their_config_key(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("id,title\n1,a\n", encoding="utf-8")
    found = problems(path, identifiers={"lei": "lei_code"})
    assert any("column 'name'" in p and "fields.name" in p for p in found)
    assert any("column 'lei_code'" in p and "identifiers.lei" in p for p in found)
    assert all("columns are: id, title" in p for p in found)


def test_duplicate_and_empty_record_ids_are_reported_with_rows(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("id,name\n1,a\n2,b\n1,c\n,d\n", encoding="utf-8")
    found = problems(path)
    assert any("'1' is not unique (rows 2, 4)" in p and "column 'id'" in p for p in found)
    assert any("row 5" in p and "record id is empty" in p for p in found)


def test_parquet_and_jsonl_values_become_text(tmp_path: Path) -> None:
    pq_path = tmp_path / "reg.parquet"
    pd.DataFrame({"id": [1, 2], "name": ["A", None], "n": [1.0, 2.5]}).to_parquet(pq_path)
    config = source(path="reg.parquet", fields={"name": "name"}, identifiers={"vat": "n"})
    records = read_file(pq_path, config.sources[0]).records
    assert records["record_id"].tolist() == ["1", "2"]
    assert records["id_vat"].tolist() == ["1", "2.5"]
    assert records["name"].tolist() == ["A", None]
    jl = tmp_path / "reg.jsonl"
    jl.write_text(json.dumps({"id": "a", "name": "X"}) + "\n\n{oops\n", encoding="utf-8")
    [message] = problems(jl, path="reg.jsonl")
    assert "reg.jsonl, row 3" in message and "not valid JSON" in message


def test_dates_parse_with_declared_format_and_bad_ones_are_kept_and_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("id,name,est\n1,a,2001年02月03日\n2,b,someday\n3,c,\n", encoding="utf-8")
    config = source(fields={"name": "name", "founded": "est"}, formats={"founded": "%Y年%m月%d日"})
    table = read_file(path, config.sources[0])
    assert table.records["founded"].tolist() == ["2001年02月03日", "someday", None]
    assert table.records["founded_date"].tolist() == ["2001-02-03", None, None]
    [warning] = table.warnings
    assert warning.row == 3 and warning.column == "est"


def test_read_sources_collects_problems_of_all_sources_and_sorts_by_uid(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["b", "a"], "name": ["B", "A"]})
    config = Config.from_dict(
        {
            "sources": [
                {"name": "mem", "id": "id", "fields": {"name": "name"}},
                {"name": "f1", "path": "missing1.csv", "id": "id"},
                {"name": "f2", "path": "missing2.csv", "id": "id"},
            ]
        },
        base_dir=tmp_path,
    )
    with pytest.raises(InputError) as caught:
        read_sources(config, {"mem": frame})
    assert len(caught.value.problems) == 2
    records = read_dataframe(frame, config.sources[0]).records
    assert records["uid"].tolist() == ["mem:b", "mem:a"]


def test_source_country_fills_only_records_without_one(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("id,name,land\n1,a,DE\n2,b,\n", encoding="utf-8")
    config = source(fields={"name": "name", "country": "land"}, country="US")
    assert read_file(path, config.sources[0]).records["country"].tolist() == ["DE", "US"]
    config = source(country="US")
    assert read_file(path, config.sources[0]).records["country"].tolist() == ["US", "US"]
    with pytest.raises(ConfigError, match=r"sources\[0\].country"):
        source(country="usa")


def test_ids_differing_only_by_spaces_are_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("id,name\nA,Acme\n A ,Acme Ltd\n", encoding="utf-8")
    [message] = problems(path)
    assert "'A' is not unique (rows 2, 3)" in message


def test_bom_only_file_is_empty_and_tsv_defaults_to_tabs(tmp_path: Path) -> None:
    bom = tmp_path / "reg.csv"
    bom.write_bytes("\ufeff\n".encode())
    assert "file is empty" in problems(bom)[0]
    tsv = tmp_path / "reg.tsv"
    tsv.write_text("id\tname\n1\tAcme, Ltd\n", encoding="utf-8")
    config = source(path="reg.tsv")
    assert read_file(tsv, config.sources[0]).records["name"].tolist() == ["Acme, Ltd"]


def test_a_file_source_without_path_is_a_config_error() -> None:
    config = Config.from_dict({"sources": [{"name": "mem", "id": "id"}]})
    with pytest.raises(ConfigError, match=r"sources\[0\].path: required"):
        read_sources(config)


JSONL_CASES = {
    "strings and nulls, keys that appear late, BOM": "\ufeff"
    + '{"id": "1", "name": "Acme"}\n{"id": "2", "name": null, "city": "Xi\'an"}\n',
    "no final newline": '{"id": "1", "name": "A\\u2028B"}\n{"id": "2", "name": "C"}',
    "numbers": '{"id": 1, "name": "A"}\n{"id": 2.5, "name": "B"}\n',
    "nested": '{"id": "1", "name": {"en": "A"}}\n',
    "blank line": '{"id": "1", "name": "A"}\n\n{"id": "2", "name": "B"}\n',
    "two objects on a line": '{"id": "1", "name": "A"} {"id": "2", "name": "B"}\n',
    "duplicate key": '{"id": "1", "name": "A", "name": "B"}\n',
}


@pytest.mark.parametrize("case", sorted(JSONL_CASES))
def test_jsonl_read_by_arrow_equals_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    import linkage.sources as sources

    path = tmp_path / "reg.jsonl"
    path.write_bytes(JSONL_CASES[case].encode("utf-8"))
    config = source(path="reg.jsonl")

    def read() -> pd.DataFrame | list[str]:
        try:
            return read_file(path, config.sources[0]).records
        except InputError as error:
            return [str(p) for p in error.problems]

    fast = read()
    arrow = sources._parse_jsonl_text_only(path.read_bytes()) is not None
    assert arrow == (case in ("strings and nulls, keys that appear late, BOM", "no final newline"))
    monkeypatch.setattr(sources, "_parse_jsonl_text_only", lambda data: None)
    slow = read()
    if isinstance(slow, pd.DataFrame):
        assert isinstance(fast, pd.DataFrame)
        pd.testing.assert_frame_equal(fast, slow)
        assert [type(v) for v in fast["name"]] == [type(v) for v in slow["name"]]
    else:
        assert fast == slow


def test_rows_are_named_by_their_line_after_quoted_line_breaks_and_blank_lines(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.csv").write_text(
        'id,name\n1,"two\nlines"\n\n2,x\n2,"y\r\nz"\n3,w\n', encoding="utf-8"
    )
    config = Config.from_dict(
        {"sources": [{"name": "a", "path": "a.csv", "id": "id", "fields": {"name": "name"}}]},
        base_dir=tmp_path,
    )
    with pytest.raises(InputError, match=r"record id '2' is not unique \(rows 5, 6\)"):
        read_sources(config)
