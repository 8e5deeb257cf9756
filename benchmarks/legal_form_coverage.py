"""How many legal-form abbreviations of the reference lists the name normaliser recognises.

Usage: ``python benchmarks/legal_form_coverage.py [--data ../shared/data/reference]``

Each distinct abbreviation (GLEIF ELF code list v1.4.1, columns "Abbreviations Local language"
and "Abbreviations transliterated", ";"-separated; ECB/GLEIF ``legal_form_orig`` values) is
appended to a neutral name (``Acme <abbreviation>``) and counts as recognised when
``normalize_name`` returns a legal-form code and a norm of ``acme``. Shares are printed overall
and for the jurisdictions this package targets.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from linkage.standardize import normalize_name

TARGET = {"CN", "HK", "TW", "GB", "US", "DE", "FR", "NL", "IT", "ES", "SE", "NO", "DK", "FI",
          "JP", "RU", "AT", "CH", "BE", "IE"}  # fmt: skip
ISO3 = {"CHN": "CN", "HKG": "HK", "TWN": "TW", "GBR": "GB", "USA": "US", "DEU": "DE",
        "FRA": "FR", "NLD": "NL", "ITA": "IT", "ESP": "ES", "SWE": "SE", "NOR": "NO",
        "DNK": "DK", "FIN": "FI", "JPN": "JP", "RUS": "RU", "AUT": "AT", "CHE": "CH",
        "BEL": "BE", "IRL": "IE"}  # fmt: skip


def recognised(abbreviation: str) -> bool:
    """True when the abbreviation is found and removed after a plain name."""
    name = f"Acme {abbreviation}" if abbreviation.isascii() else f"艾克美{abbreviation}"
    parsed = normalize_name(name)
    return parsed.legal_form is not None and parsed.norm in {"acme", "艾克美"}


def elf_abbreviations(path: Path) -> pd.DataFrame:
    """Distinct (country, abbreviation) pairs of active ELF entries."""
    elf = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elf = elf[elf["ELF Status ACTV/INAC"] == "ACTV"]
    rows = [
        (country, abbreviation.strip())
        for country, *cells in elf[
            [
                "Country Code (ISO 3166-1)",
                "Abbreviations Local language",
                "Abbreviations transliterated",
            ]
        ].itertuples(index=False)
        for cell in cells
        for abbreviation in cell.split(";")
        if abbreviation.strip()
    ]
    return pd.DataFrame(rows, columns=["country", "abbreviation"]).drop_duplicates()


def ecb_abbreviations(path: Path) -> pd.DataFrame:
    """Distinct (country, legal form) pairs of the ECB/GLEIF list (ISO3 mapped where known)."""
    ecb = pd.read_csv(path, dtype=str, keep_default_na=False)
    out = pd.DataFrame({"country": ecb["iso3"].map(ISO3).fillna(ecb["iso3"]),
                        "abbreviation": ecb["legal_form_orig"]})  # fmt: skip
    return out[out["abbreviation"].str.strip() != ""].drop_duplicates()


def report(label: str, table: pd.DataFrame) -> None:
    """Print overall and target-jurisdiction coverage of one list."""
    hits = table["abbreviation"].map(recognised)
    target = table["country"].isin(TARGET)
    print(
        f"{label}: {hits.mean():.1%} of {len(table):,} abbreviations recognised; "
        f"target jurisdictions: {hits[target].mean():.1%} of {int(target.sum()):,}"
    )


def main() -> None:
    """Print coverage figures for both reference lists."""
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    report("GLEIF ELF v1.4.1", elf_abbreviations(args.data / "gleif_elf_code_list_v1.4.1.csv"))
    report("ECB/GLEIF legal_form_orig", ecb_abbreviations(args.data / "legal_forms_gleif_ecb.csv"))


if __name__ == "__main__":
    main()
