"""Review at a shell: the queue one pair at a time, each answer recorded as it is given."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TextIO

import pandas as pd

KEYS = {"s": "same", "d": "different", "u": "unsure", "k": "skip", "q": "quit"}
ANSWERS = {**KEYS, **{word: word for word in KEYS.values()}}
"""What a reviewer may type: the letter or the whole word (``skip`` is not ``s``ame)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PROMPT = "[s]ame / [d]ifferent / [u]nsure / s[k]ip / [q]uit > "


def side_by_side(row: pd.Series) -> str:
    """The pair's two records, field by field, with why it is queued and the run's view."""
    fields = sorted({c[:-2] for c in row.index if c.endswith(("_l", "_r"))} - {"uid", "entity"})
    width = max([len(f) for f in fields] + [6])
    lines = [
        f"#{row['rank']} {row['kind']} (impact {float(row['impact']):.3g}): {row['reason']}",
        f"{'':<{width}}  {_shown(row['uid_l'])}  |  {_shown(row['uid_r'])}",
    ]
    for name in fields:
        left, right = _shown(row.get(f"{name}_l")), _shown(row.get(f"{name}_r"))
        if left or right:
            mark = " " if not (left and right) else "=" if left == right else "≠"
            lines.append(f"{name:<{width}}{mark} {left}  |  {right}")
    verdict = "match" if bool(row["is_match"]) else "no match"
    outcome = "one entity" if bool(row["same_entity"]) else "kept apart"
    lines.append(
        f"run: weight {float(row['match_weight']):.2f}, probability "
        f"{float(row['probability']):.4f}, {verdict}, {outcome}"
    )
    return "\n".join(lines)


def _shown(value: object) -> str:
    """A value as text, without control characters (no escape sequence reaches a terminal)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return _CONTROL.sub(" ", str(value))


def review_interactively(
    queue: pd.DataFrame,
    record: Callable[[str, str, str, str], None],
    *,
    read: TextIO,
    write: TextIO,
) -> dict[str, int]:
    """Ask about each queued pair; ``record(uid_l, uid_r, verdict, note)`` stores an answer at
    once (an interrupted session keeps what was answered). Returns counts per answer."""
    counts = {"same": 0, "different": 0, "unsure": 0, "skip": 0}
    for _, row in queue.iterrows():
        write.write(side_by_side(row) + "\n")
        while True:
            write.write(PROMPT)
            write.flush()
            line = read.readline()
            if not line:  # end of input: stop as if asked to
                return counts
            answer = ANSWERS.get(line.strip().lower())
            if answer is not None:
                break
            write.write("answer with one of s, d, u, k, q (or the whole word)\n")
        if answer == "quit":
            return counts
        if answer != "skip":
            record(str(row["uid_l"]), str(row["uid_r"]), answer, "")
        counts[answer] += 1
        write.write("\n")
    return counts
