"""``python -m linkage``: the ``linkage`` command."""

from linkage.cli import console

console()
