"""registry-linkage: reconcile business registries into deduplicated, auditable entities.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from linkage._version import __version__
from linkage.config import CANONICAL_FIELDS, Config, load_config
from linkage.datasets import GeneratedDataset, generate, write_demo
from linkage.errors import (
    ConfigError,
    ConfigProblem,
    InputError,
    InputProblem,
    LinkageError,
    UsageError,
)
from linkage.evaluation import EvaluationReport, evaluate_memberships, read_truth
from linkage.pipeline import Linker, RunResult
from linkage.standardize import (
    CompanyName,
    Identifier,
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postcode,
    parse_identifier,
    registrable_domain,
)

__all__ = [
    "CANONICAL_FIELDS",
    "CompanyName",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "EvaluationReport",
    "GeneratedDataset",
    "Identifier",
    "InputError",
    "InputProblem",
    "LinkageError",
    "Linker",
    "RunResult",
    "UsageError",
    "__version__",
    "evaluate_memberships",
    "generate",
    "load_config",
    "normalize_address",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "parse_identifier",
    "read_truth",
    "registrable_domain",
    "write_demo",
]
