"""report.html opened in a real browser (headless Chromium, offline): every section present, no
console error, no network request, every chart drawn; and its size stays in budget at 100k
records.

Chromium is Debian's ``chromium`` package, driven by Playwright. Without it these tests skip,
unless ``LINKAGE_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets): then a missing browser fails them.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from linkage.datasets import generate
from linkage.datasets.demo import write_demo
from linkage.evaluation import read_truth
from linkage.pipeline import Linker

SECTIONS = ("inputs", "blocking", "model", "scores", "clusters", "entities", "pairs", "truth")
BUDGET_BYTES = 5 * 1024 * 1024
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_or_skip() -> str:
    """The Chromium executable, or a skip (a failure where the browser is required)."""
    missing = []
    if CHROMIUM is None:
        missing.append("Debian's chromium package")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if missing:
        reason = "report browser test needs " + " and ".join(missing)
        if os.environ.get("LINKAGE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    assert CHROMIUM is not None
    return CHROMIUM


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    data = write_demo(root / "data")
    Linker(data.config_path, truth=read_truth(data.truth_path)).run(root / "out")
    return root / "out" / "report.html"


def _pixel_spread(png: bytes) -> float:
    """Standard deviation of a screenshot's grey levels: 0 for a blank image."""
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("L")
    return float(ImageStat.Stat(image).stddev[0])


def test_report_loads_offline_in_chromium_with_every_chart_drawn(demo_report: Path) -> None:
    executable = _browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        context = browser.new_context(offline=True)
        page = context.new_page()
        console, requests, errors = [], [], []
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(demo_report.resolve().as_uri())
        page.wait_for_load_state("load")
        present = page.eval_on_selector_all("section", "nodes => nodes.map(n => n.id)")
        charts = page.locator("figure.chart")
        names = [charts.nth(i).get_attribute("data-chart") for i in range(charts.count())]
        blank = []
        for i, name in enumerate(names):
            svg = charts.nth(i).locator("svg")
            box = svg.bounding_box()
            if box is None or box["width"] < 100 or box["height"] < 30:
                blank.append(f"{name}: not laid out ({box})")
            elif _pixel_spread(svg.screenshot()) < 5:
                blank.append(f"{name}: blank")
        browser.close()
    assert requests == [demo_report.resolve().as_uri()]  # the file itself, nothing else
    assert [c for c in console if c[0] in ("error", "warning")] == []
    assert errors == []
    assert set(SECTIONS) <= set(present)
    expected = {"fill-rate", "pairs-per-rule", "level-weights", "em-convergence"}
    expected |= {"match-weight-histogram", "cluster-sizes", "refused-unions", "precision-recall"}
    assert expected <= set(names)
    assert any(n and n.startswith("merge-tree-") for n in names)
    assert any(n and n.startswith("waterfall-") for n in names)
    assert blank == []


def test_report_is_self_contained(demo_report: Path) -> None:
    html = demo_report.read_text(encoding="utf-8")
    assert "<script" not in html
    for remote in ("http://", "https://", "//cdn", "@import", "url("):
        assert remote not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_report_is_byte_stable(tmp_path: Path, demo_report: Path) -> None:
    data = write_demo(tmp_path / "data")
    Linker(data.config_path, truth=read_truth(data.truth_path)).run(tmp_path / "out")
    assert (tmp_path / "out" / "report.html").read_bytes() == demo_report.read_bytes().replace(
        str(demo_report.parent.parent / "data").encode(), str(tmp_path / "data").encode()
    )


@pytest.mark.slow
def test_report_size_budget_at_100k_records(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", entities=56_000, registries=4, seed=7)
    result = Linker(data.config_path, truth=read_truth(data.truth_path)).run(tmp_path / "out")
    assert result.manifest["counts"]["records"] > 95_000
    size = (tmp_path / "out" / "report.html").stat().st_size
    assert size < BUDGET_BYTES, f"report.html is {size:,} bytes at 100k records"


def test_evaluate_report_rebuilds_the_run_report_from_its_folder(
    demo_report: Path, tmp_path: Path
) -> None:
    """The report is built from the run's tables: from the files, the same bytes."""
    from linkage.cli import main

    truth = demo_report.parent.parent / "data" / "truth.csv"
    rebuilt = tmp_path / "evaluated.html"
    pred = str(demo_report.parent / "memberships.csv")
    assert main(["evaluate", "--truth", str(truth), "--pred", pred, "--report", str(rebuilt)]) == 0
    assert rebuilt.read_bytes() == demo_report.read_bytes()


def test_a_run_without_a_name_field_still_gets_its_report(tmp_path: Path) -> None:
    # person records linked on custom fields only (as Febrl is): no `name`, no profile name
    people = pd.DataFrame({
        "id": ["1", "2", "3", "4"],
        "given": ["anna", "anna", "bert", "carl"],
        "surname": ["smith", "smith", "jones", "brown"],
        "born": ["1980-01-02", "1980-01-02", "1975-05-06", "1990-09-09"],
    })  # fmt: skip
    config = {
        "sources": [{"name": "p", "id": "id",
                     "fields": {"given": "given", "surname": "surname", "born": "born"}}],
        "fields": {"given": {"type": "person_name"}, "surname": {"type": "person_name"},
                   "born": {"type": "date"}},
    }  # fmt: skip
    result = Linker(config, frames={"p": people}).run(tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert result.report == html
    assert all(f'<section id="{key}">' in html for key in SECTIONS if key != "truth")
