"""The ``linkage`` command. Exit codes: 0 success, 2 bad input or config, 1 internal error."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from linkage._version import __version__
from linkage.errors import LinkageError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``linkage`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
        return result
    except LinkageError as exc:
        print(f"linkage: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("linkage: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(
            f"linkage: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug; please report it with the command and --debug output.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="linkage",
        description="Reconcile business registries into deduplicated, auditable entities.",
    )
    parser.add_argument("--version", action="version", version=f"linkage {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(commands, "run", "link the sources of a TOML config into entities", _run)
    run.add_argument("config", type=Path, help="the run's TOML config file")
    run.add_argument("--out", type=Path, default=Path("linkage-output"), help="output folder")

    demo = _command(commands, "demo", "generate the bundled demo registries and link them", _demo)
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help="output folder")
    return parser


def _command(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    help_text: str,
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    sub.add_argument("--debug", action="store_true", help="print tracebacks of internal errors")
    sub.set_defaults(handler=handler)
    return sub


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    if args.quiet:
        return lambda _message: None
    return lambda message: print(f"[linkage] {message}", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    from linkage.pipeline import Linker

    result = Linker(args.config, progress=_progress(args)).run(args.out)
    counts = result.manifest["counts"]
    print(
        f"{counts['records']:,} records -> {counts['entities']:,} entities "
        f"({counts['entities_spanning_sources']:,} span several sources); outputs in {args.out}"
    )
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from linkage.datasets.demo import write_demo
    from linkage.evaluation import evaluate_memberships, read_truth
    from linkage.pipeline import Linker

    data = write_demo(args.out / "data")
    result = Linker(data.config_path, progress=_progress(args)).run(args.out)
    report = evaluate_memberships(read_truth(data.truth_path), result.memberships)
    counts = result.manifest["counts"]
    merged = result.memberships.merge(result.entities[["entity_id", "sources"]], on="entity_id")
    across = int(merged["sources"].str.contains(r" \| ", regex=True).sum())
    metrics = report.to_dict()
    print(f"demo registries:  {', '.join(counts['records_per_source'])} (in {args.out / 'data'})")
    print(f"records:          {counts['records']:,}")
    print(f"entities:         {counts['entities']:,} (truth: {data.n_entities:,})")
    print(f"merged across sources: {across:,} records")
    print(
        f"pairwise precision {metrics['pairwise']['precision']:.3f}, "
        f"recall {metrics['pairwise']['recall']:.3f}, F1 {metrics['pairwise']['f1']:.3f}"
    )
    print(f"outputs:          {args.out}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
