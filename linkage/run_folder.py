"""A run's output folder: written whole, or marked incomplete until it is.

A run writes its files into a staging folder inside the output folder, then moves each into
place (a rename: a reader never sees half a file, and a symlink in the folder is replaced, not
followed), ``manifest.json`` last, with the size of every file. Until then the folder holds
:data:`INCOMPLETE`; readers refuse such a folder, and a file whose size is not the one its
manifest records (:func:`check_run_folder`). Staging folders a killed run left are removed by
the next run into the folder.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from linkage.errors import UsageError

INCOMPLETE = ".linkage-incomplete"
"""The file that marks an output folder a run is writing (or was killed writing)."""
STAGING = ".linkage-staging-"
"""The prefix of a run's staging folder inside the output folder (then its process id)."""
MANIFEST = "manifest.json"


@contextmanager
def writing(out_dir: Path) -> Iterator[Path]:
    """Write the run folder ``out_dir``: yields a staging folder to write every file into;
    when the block ends without error, moves them into place, ``manifest.json`` last, and
    removes the incomplete mark. On error the folder stays marked incomplete."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(STAGING + "*"):
        _remove(stale)
    (out_dir / INCOMPLETE).write_text(f"written by process {os.getpid()}\n", encoding="utf-8")
    _remove(out_dir / MANIFEST)  # the previous run's: it no longer describes the folder
    staging = out_dir / f"{STAGING}{os.getpid()}"
    staging.mkdir()
    try:
        yield staging
        names = sorted(p.name for p in staging.iterdir() if p.name != MANIFEST)
        for name in [*names, MANIFEST]:
            if (staging / name).exists():
                os.replace(staging / name, out_dir / name)
        (out_dir / INCOMPLETE).unlink()
    finally:
        _remove(staging)


def output_sizes(folder: Path) -> dict[str, int]:
    """The size in bytes of every file in ``folder`` (what the manifest records)."""
    return {p.name: p.stat().st_size for p in sorted(folder.iterdir()) if p.is_file()}


def check_run_folder(
    run_dir: Path, needed: Sequence[str] = (), *, optional: Sequence[str] = ()
) -> None:
    """Refuse a run folder a run did not finish writing, one that lacks a ``needed`` file, or
    whose ``needed`` and ``optional`` files are not the ones its manifest records."""
    if (run_dir / INCOMPLETE).exists():
        raise UsageError(
            f"{run_dir} is an incomplete run folder: a run was stopped while writing it "
            "(rerun `linkage run` to complete it)"
        )
    absent = [str(run_dir / n) for n in needed if not (run_dir / n).exists()]
    if absent:
        raise UsageError(
            f"{', '.join(absent)} not found: --run must be the output folder of `linkage run`"
        )
    try:
        recorded = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError, AttributeError):
        return  # not a run folder, or one written before manifests recorded sizes
    for name in [*needed, *optional]:
        size = (run_dir / name).stat().st_size if (run_dir / name).exists() else None
        if isinstance(recorded, dict) and name in recorded and size != recorded[name]:
            raise UsageError(
                f"{run_dir / name} is not the file its run wrote ({size} bytes; the manifest "
                f"records {recorded[name]}): the folder mixes runs (rerun `linkage run`)"
            )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
