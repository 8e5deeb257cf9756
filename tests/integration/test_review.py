"""The review loop through the CLI: export the queue, answer it, import the answers, rerun."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from linkage.cli import main
from linkage.datasets.demo import write_demo
from linkage.review import review_interactively, review_queue
from linkage.store import Store


@pytest.fixture
def demo_run(tmp_path: Path) -> tuple[Path, Path, Path]:
    data = write_demo(tmp_path / "data")
    out = tmp_path / "out"
    assert main(["run", str(data.config_path), "--out", str(out), "--quiet"]) == 0
    return data.config_path, out, data.truth_path


def _entities(out: Path) -> pd.Series:
    members = pd.read_csv(out / "memberships.csv", dtype=str)
    return pd.Series(members["entity_id"].to_numpy(), index=members["uid"].to_numpy())


def test_queue_is_ordered_by_impact_without_repeats(demo_run: tuple[Path, Path, Path]) -> None:
    _, out, _ = demo_run
    queue = review_queue(out, limit=40)
    assert 0 < len(queue) <= 40
    assert queue["rank"].tolist() == list(range(1, len(queue) + 1))
    assert queue["impact"].is_monotonic_decreasing
    assert not queue.duplicated(["uid_l", "uid_r"]).any()
    assert set(queue["kind"]) <= {"near_threshold", "bridge", "refused"}
    assert (queue["uid_l"] < queue["uid_r"]).all()
    assert {"name_l", "name_r", "verdict", "note"} <= set(queue.columns)
    assert review_queue(out, limit=40).equals(queue)  # the same run, the same queue


def test_export_answer_import_rerun_holds_every_judgement(
    demo_run: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, out, truth_path = demo_run
    store = out / "linkage.duckdb"
    exported = tmp_path / "queue.csv"
    assert main(["review", "--run", str(out), "--limit", "30", "--export", str(exported)]) == 0
    assert "--import" in capsys.readouterr().out
    queue = pd.read_csv(exported, dtype=str, keep_default_na=False)
    truth = pd.read_csv(truth_path, dtype=str)
    uids = truth["source"] + ":" + truth["record_id"]
    true_entity = dict(zip(uids, truth["entity_id"], strict=True))
    answers = [
        "same" if true_entity[a] == true_entity[b] else "different"
        for a, b in zip(queue["uid_l"], queue["uid_r"], strict=True)
    ]
    # a reviewer who overrules the run on the first three pairs, and skips the last one
    for i in range(3):
        answers[i] = "different" if queue.loc[i, "same_entity"] == "True" else "same"
    queue["verdict"] = answers
    queue.loc[len(queue) - 1, "verdict"] = ""
    queue["judged_by"] = "ana"
    queue.to_csv(exported, index=False)
    assert main(["judge", "--store", str(store), "--import", str(exported)]) == 0
    assert f"recorded {len(queue) - 1} judgements" in capsys.readouterr().out

    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    entity = _entities(out)
    answered = queue.iloc[:-1]
    for row in answered.itertuples(index=False):
        together = entity[row.uid_l] == entity[row.uid_r]
        assert together == (row.verdict == "same"), (row.uid_l, row.uid_r, row.verdict)
    pairs = pd.read_parquet(out / "pairs.parquet", columns=["uid_l", "uid_r", "decided_by"])
    judged = answered[["uid_l", "uid_r"]].merge(pairs, on=["uid_l", "uid_r"])
    assert set(judged["decided_by"]) == {"judgement"}
    with Store(store) as s:
        recorded = s.judgements()
        assert len(recorded) == len(answered)
        assert set(recorded["judged_by"]) == {"ana"}
        assert recorded["judged_at"].notna().all()
        assert s.last_run_id() == 2
        assert len(s.lineage(2)) > 0  # the overruled pairs changed entities, and that is logged
    # judged pairs leave the queue
    after = review_queue(out, limit=200, judged=recorded)
    done = set(zip(answered["uid_l"], answered["uid_r"], strict=True))
    assert not done & set(zip(after["uid_l"], after["uid_r"], strict=True))


def test_import_reports_every_bad_row_and_records_nothing(
    demo_run: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = demo_run
    store = out / "linkage.duckdb"
    queue = review_queue(out, limit=3)
    answers = queue[["uid_l", "uid_r"]].copy()
    answers["verdict"] = ["same", "maybe", "different"]
    answers.loc[2, "uid_r"] = "nowhere:1"
    path = tmp_path / "answers.csv"
    answers.to_csv(path, index=False)
    assert main(["judge", "--store", str(store), "--import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "row 3, column 'verdict'" in err and "'maybe'" in err
    assert "row 4, column 'uid_b'" in err and "nowhere:1" in err
    with Store(store) as s:
        assert s.judgements().empty


def test_jsonl_answers_and_judgements_export(
    demo_run: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = demo_run
    store = out / "linkage.duckdb"
    exported = tmp_path / "queue.jsonl"
    assert main(["review", "--run", str(out), "--limit", "4", "--export", str(exported)]) == 0
    rows = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and rows[0]["rank"] == 1
    for row in rows:
        row["verdict"] = "unsure"
        row["judged_at"] = "2026-01-02T03:04:05"
    exported.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["judge", "--store", str(store), "--import", str(exported), "--by", "li"]) == 0
    listing = tmp_path / "judgements.csv"
    assert main(["judgements", "--store", str(store), "--export", str(listing)]) == 0
    recorded = pd.read_csv(listing, dtype=str)
    assert len(recorded) == 4
    assert set(recorded["verdict"]) == {"unsure"} and set(recorded["judged_by"]) == {"li"}
    assert set(recorded["judged_at"]) == {"2026-01-02 03:04:05"}
    capsys.readouterr()
    assert main(["judgements", "--store", str(store)]) == 0
    assert "unsure" in capsys.readouterr().out


def test_interactive_review_records_each_answer(demo_run: tuple[Path, Path, Path]) -> None:
    _, out, _ = demo_run
    queue = review_queue(out, limit=5)
    recorded: list[tuple[str, str, str]] = []
    shown = io.StringIO()
    counts = review_interactively(
        queue,
        lambda a, b, verdict, note: recorded.append((a, b, verdict)),
        read=io.StringIO("s\nDifferent\nwhat\nskip\nq\n"),
        write=shown,
    )
    assert counts == {"same": 1, "different": 1, "unsure": 0, "skip": 1}
    first, second = queue.iloc[0], queue.iloc[1]
    assert recorded == [
        (first["uid_l"], first["uid_r"], "same"),
        (second["uid_l"], second["uid_r"], "different"),
    ]
    text = shown.getvalue()
    assert "answer with one of s, d, u, k, q" in text  # "what" is no answer, "skip" skips
    assert str(first["uid_l"]) in text and "#1 " in text


def test_enough_judgements_teach_the_model_and_the_manifest_says_so(
    demo_run: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    from linkage.pipeline import Linker

    config, out, truth_path = demo_run
    truth = pd.read_csv(truth_path, dtype=str)
    entity = dict(zip(truth["source"] + ":" + truth["record_id"], truth["entity_id"], strict=True))
    pairs = pd.read_parquet(out / "pairs.parquet", columns=["uid_l", "uid_r", "decided_by"])
    model_pairs = pairs[pairs["decided_by"] == "model"]
    same = model_pairs[
        [
            entity[a] == entity[b]
            for a, b in zip(model_pairs["uid_l"], model_pairs["uid_r"], strict=True)
        ]
    ]
    different = model_pairs.drop(same.index)
    chosen = pd.concat([same.head(10), different.head(40)])
    assert len(chosen) == 50  # the least that teaches: 50 judged, 10 of each verdict
    answers = pd.DataFrame({
        "uid_a": chosen["uid_l"],
        "uid_b": chosen["uid_r"],
        "verdict": ["same"] * 10 + ["different"] * 40,
    })  # fmt: skip
    store = tmp_path / "judged.duckdb"
    with Store(store) as s:
        s.judge_many(answers, by="ana")
    learned = Linker(config, store=store).run(tmp_path / "learned")
    judged = learned.model["parameters"]["judgements"]
    assert judged["learned"] and judged["same"] == 10 and judged["different"] == 40
    assert judged["largest_m_change"] > 0
    assert learned.manifest["choices"]["model"]["judgements"] == judged
    assert "EM fitted with their classes known" in (tmp_path / "learned" / "report.html").read_text(
        encoding="utf-8"
    )
    # switched off, the judgements still decide their pairs but teach nothing
    off = config.parent / "config_off.toml"
    text = config.read_text(encoding="utf-8") + "\n[matching]\nlearn_from_judgements = false\n"
    off.write_text(text, encoding="utf-8")
    other = tmp_path / "off.duckdb"
    with Store(other) as s:
        s.judge_many(answers, by="ana")
    kept = Linker(off, store=other).run(tmp_path / "off")
    judged = kept.model["parameters"]["judgements"]
    assert not judged["learned"] and "learn_from_judgements = false" in judged["why_not"]
    assert "largest_m_change" not in judged
    members = kept.memberships.set_index("uid")["entity_id"]
    for row in answers.itertuples(index=False):
        assert (members[row.uid_a] == members[row.uid_b]) == (row.verdict == "same")


def test_review_interactive_through_the_cli(
    demo_run: tuple[Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = demo_run
    monkeypatch.setattr("sys.stdin", io.StringIO("d\nu\nq\n"))
    args = ["review", "--run", str(out), "--interactive", "--limit", "5", "--by", "kim"]
    assert main(args) == 0
    assert "1 different, 1 unsure" in capsys.readouterr().out
    with Store(out / "linkage.duckdb") as s:
        recorded = s.judgements()
    assert recorded["verdict"].tolist() == ["different", "unsure"]
    assert set(recorded["judged_by"]) == {"kim"}
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["review", "--run", str(out), "--interactive", "--store", "nowhere.duckdb"]) == 2
    assert "store not found" in capsys.readouterr().err
