"""registry-linkage: reconcile business registries into deduplicated, auditable entities.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from linkage._version import __version__
from linkage.config import CANONICAL_FIELDS, Config, load_config
from linkage.errors import (
    ConfigError,
    ConfigProblem,
    InputError,
    InputProblem,
    LinkageError,
)
from linkage.pipeline import Linker, RunResult

__all__ = [
    "CANONICAL_FIELDS",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "InputError",
    "InputProblem",
    "LinkageError",
    "Linker",
    "RunResult",
    "__version__",
    "load_config",
]
