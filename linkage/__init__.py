"""registry-linkage: reconcile business registries into deduplicated, auditable entities.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from linkage._version import __version__
from linkage.clustering import Clustering, cluster
from linkage.config import CANONICAL_FIELDS, Config, SurvivorshipConfig, load_config
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
from linkage.explain_entity import EntityExplanation, explain_entity
from linkage.pipeline import Linker, RunResult
from linkage.profiles import build_profiles
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
from linkage.store import Store

__all__ = [
    "CANONICAL_FIELDS",
    "Clustering",
    "CompanyName",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "EntityExplanation",
    "EvaluationReport",
    "GeneratedDataset",
    "Identifier",
    "InputError",
    "InputProblem",
    "LinkageError",
    "Linker",
    "RunResult",
    "Store",
    "SurvivorshipConfig",
    "UsageError",
    "__version__",
    "build_profiles",
    "cluster",
    "evaluate_memberships",
    "explain_entity",
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
