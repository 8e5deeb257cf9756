"""registry-linkage: reconcile business registries into deduplicated, auditable entities.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from typing import TYPE_CHECKING

from linkage._version import __version__

# Names are imported on first use (PEP 562), so `import linkage` and every CLI call stay fast:
# the generator's pinyin tables, scipy and the stages load only when something needs them.
_LAZY = {
    "Clustering": "linkage.clustering",
    "cluster": "linkage.clustering",
    "CANONICAL_FIELDS": "linkage.config",
    "Config": "linkage.config",
    "SurvivorshipConfig": "linkage.config",
    "load_config": "linkage.config",
    "GeneratedDataset": "linkage.datasets",
    "generate": "linkage.datasets",
    "write_demo": "linkage.datasets",
    "ConfigError": "linkage.errors",
    "ConfigProblem": "linkage.errors",
    "InputError": "linkage.errors",
    "InputProblem": "linkage.errors",
    "LinkageError": "linkage.errors",
    "UsageError": "linkage.errors",
    "EvaluationReport": "linkage.evaluation",
    "evaluate_memberships": "linkage.evaluation",
    "read_truth": "linkage.evaluation",
    "EntityExplanation": "linkage.explain_entity",
    "explain_entity": "linkage.explain_entity",
    "Linker": "linkage.pipeline",
    "RunResult": "linkage.outputs",
    "build_profiles": "linkage.profiles",
    "CompanyName": "linkage.standardize",
    "Identifier": "linkage.standardize",
    "normalize_address": "linkage.standardize",
    "normalize_email": "linkage.standardize",
    "normalize_name": "linkage.standardize",
    "normalize_phone": "linkage.standardize",
    "normalize_postcode": "linkage.standardize",
    "parse_identifier": "linkage.standardize",
    "registrable_domain": "linkage.standardize",
    "Store": "linkage.store",
}

if TYPE_CHECKING:
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
    from linkage.outputs import RunResult
    from linkage.pipeline import Linker
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


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'linkage' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
