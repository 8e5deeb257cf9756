"""registry-linkage: reconcile business registries into deduplicated, auditable entities.

The public API is what ``__all__`` lists; everything else is internal and may change.
"""

from typing import TYPE_CHECKING

from linkage._version import __version__

# Names are imported on first use (PEP 562), so `import linkage` and every CLI call stay fast:
# the generator's pinyin tables, scipy and the stages load only when something needs them.
_LAZY = {
    "BlockingRule": "linkage.blocking",
    "candidate_pairs": "linkage.blocking",
    "Clusters": "linkage.pipeline",
    "Verdict": "linkage.clustering",
    "Comparison": "linkage.compare",
    "CompanyNameComparison": "linkage.compare",
    "ExactMatch": "linkage.compare",
    "JaroWinklerAtThresholds": "linkage.compare",
    "LevenshteinAtThresholds": "linkage.compare",
    "DateComparison": "linkage.compare",
    "PhoneComparison": "linkage.compare",
    "EmailComparison": "linkage.compare",
    "AddressComparison": "linkage.compare",
    "IdentifierComparison": "linkage.compare",
    "compare_pairs": "linkage.compare",
    "Explanation": "linkage.explain",
    "FellegiSunter": "linkage.scoring",
    "SupervisedModel": "linkage.scoring",
    "load_model": "linkage.scoring",
    "score_pairs": "linkage.scoring",
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
    "StoreBusyError": "linkage.errors",
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
    "build_report": "linkage.report",
    "read_answers": "linkage.review",
    "review_queue": "linkage.review",
}

if TYPE_CHECKING:
    from linkage.blocking import BlockingRule, candidate_pairs
    from linkage.clustering import Clustering, Verdict, cluster
    from linkage.compare import (
        AddressComparison,
        CompanyNameComparison,
        Comparison,
        DateComparison,
        EmailComparison,
        ExactMatch,
        IdentifierComparison,
        JaroWinklerAtThresholds,
        LevenshteinAtThresholds,
        PhoneComparison,
        compare_pairs,
    )
    from linkage.config import CANONICAL_FIELDS, Config, SurvivorshipConfig, load_config
    from linkage.datasets import GeneratedDataset, generate, write_demo
    from linkage.errors import (
        ConfigError,
        ConfigProblem,
        InputError,
        InputProblem,
        LinkageError,
        StoreBusyError,
        UsageError,
    )
    from linkage.evaluation import EvaluationReport, evaluate_memberships, read_truth
    from linkage.explain import Explanation
    from linkage.explain_entity import EntityExplanation, explain_entity
    from linkage.outputs import RunResult
    from linkage.pipeline import Clusters, Linker
    from linkage.profiles import build_profiles
    from linkage.report import build_report
    from linkage.review import read_answers, review_queue
    from linkage.scoring import FellegiSunter, SupervisedModel, load_model, score_pairs
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
    "AddressComparison",
    "BlockingRule",
    "Clustering",
    "Clusters",
    "CompanyName",
    "CompanyNameComparison",
    "Comparison",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "DateComparison",
    "EmailComparison",
    "EntityExplanation",
    "EvaluationReport",
    "ExactMatch",
    "Explanation",
    "FellegiSunter",
    "GeneratedDataset",
    "Identifier",
    "IdentifierComparison",
    "InputError",
    "InputProblem",
    "JaroWinklerAtThresholds",
    "LevenshteinAtThresholds",
    "LinkageError",
    "Linker",
    "PhoneComparison",
    "RunResult",
    "Store",
    "StoreBusyError",
    "SupervisedModel",
    "SurvivorshipConfig",
    "UsageError",
    "Verdict",
    "__version__",
    "build_profiles",
    "build_report",
    "candidate_pairs",
    "cluster",
    "compare_pairs",
    "evaluate_memberships",
    "explain_entity",
    "generate",
    "load_config",
    "load_model",
    "normalize_address",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "parse_identifier",
    "read_answers",
    "read_truth",
    "registrable_domain",
    "review_queue",
    "score_pairs",
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
