import linkage

EXPECTED = {
    "build_report",
    "read_answers",
    "review_queue",
    "CANONICAL_FIELDS",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "InputError",
    "InputProblem",
    "Linker",
    "LinkageError",
    "RunResult",
    "StoreBusyError",
    "__version__",
    "load_config",
    "CompanyName",
    "Identifier",
    "normalize_address",
    "normalize_email",
    "normalize_name",
    "normalize_phone",
    "normalize_postcode",
    "parse_identifier",
    "registrable_domain",
    "GeneratedDataset",
    "generate",
    "write_demo",
    "EvaluationReport",
    "evaluate_memberships",
    "read_truth",
    "UsageError",
    "Clustering",
    "cluster",
    "SurvivorshipConfig",
    "build_profiles",
    "Store",
    "EntityExplanation",
    "explain_entity",
    "BlockingRule",
    "candidate_pairs",
    "Clusters",
    "Verdict",
    "Comparison",
    "CompanyNameComparison",
    "ExactMatch",
    "JaroWinklerAtThresholds",
    "LevenshteinAtThresholds",
    "DateComparison",
    "PhoneComparison",
    "EmailComparison",
    "AddressComparison",
    "IdentifierComparison",
    "compare_pairs",
    "Explanation",
    "FellegiSunter",
    "SupervisedModel",
    "load_model",
    "score_pairs",
}


def test_all_lists_exactly_the_public_api() -> None:
    assert set(linkage.__all__) == EXPECTED
    assert len(linkage.__all__) == len(set(linkage.__all__))
    for name in linkage.__all__:
        assert getattr(linkage, name) is not None


def test_errors_share_one_base_class() -> None:
    for name in ("ConfigError", "InputError", "UsageError", "StoreBusyError"):
        assert issubclass(getattr(linkage, name), linkage.LinkageError)
