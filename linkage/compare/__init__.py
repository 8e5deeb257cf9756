"""Comparisons: per candidate pair, one integer level per field comparison.

Each comparison is a small declarative object named like a sentence (``JaroWinklerAtThresholds``)
holding an ordered, inspectable list of levels: the null level first (``-1``: a side is
missing), then the levels from most to least alike, ``else`` last (``0``). Levels are computed
column-wise: a comparison first *prepares* per-record arrays once (cleaned values, derived keys,
term frequencies), then turns gathered left/right arrays into ``int8`` levels with numpy and
``rapidfuzz.process.cpdist``. No per-pair Python loop; similarity kernels only run on the pairs
that are neither missing nor exactly equal.

A comparison can also be used as a ``recordlinkage.Compare`` feature through
:meth:`Comparison.as_recordlinkage`.

The package: :mod:`~linkage.compare.values` (distinct values, term frequencies, kernels),
:mod:`~linkage.compare.base` (the base class), :mod:`~linkage.compare.library` and
:mod:`~linkage.compare.names` (the comparisons), :mod:`~linkage.compare.words` (word-set
relations), :mod:`~linkage.compare.choice` (the automatic choice of comparisons),
:mod:`~linkage.compare.engine` (levels of pairs) and :mod:`~linkage.compare.stage` (the stage,
reusing the previous run's levels when given them).
"""

from linkage.compare.base import Comparison, SingleColumn
from linkage.compare.choice import (
    DESCRIPTIVE_TYPES,
    choose_comparisons,
    comparison_for_field,
    comparisons_for,
    comparisons_from_config,
)
from linkage.compare.engine import (
    compare_columns,
    compare_indexed,
    compare_pairs,
    pair_term_frequencies,
    prepare_all,
    term_keys,
    term_prepared,
    term_values,
)
from linkage.compare.library import (
    COMPARISON_TYPES,
    AddressComparison,
    DateComparison,
    EmailComparison,
    ExactMatch,
    IdentifierComparison,
    JaroWinklerAtThresholds,
    LevenshteinAtThresholds,
    PhoneComparison,
    comparison_from_dict,
)
from linkage.compare.names import CompanyNameComparison
from linkage.compare.stage import CompareState, PreviousComparisons, TermCodes, compare_stage
from linkage.compare.values import (
    NULL,
    Distinct,
    Level,
    Prepared,
    assign_levels,
    clean_text,
    frequencies,
    gather,
    similarity,
    source_codes,
)
from linkage.compare.words import WordRelations, word_relations

__all__ = [
    "COMPARISON_TYPES",
    "DESCRIPTIVE_TYPES",
    "NULL",
    "AddressComparison",
    "CompanyNameComparison",
    "CompareState",
    "Comparison",
    "DateComparison",
    "Distinct",
    "EmailComparison",
    "ExactMatch",
    "IdentifierComparison",
    "JaroWinklerAtThresholds",
    "Level",
    "LevenshteinAtThresholds",
    "PhoneComparison",
    "Prepared",
    "PreviousComparisons",
    "SingleColumn",
    "TermCodes",
    "WordRelations",
    "assign_levels",
    "choose_comparisons",
    "clean_text",
    "compare_columns",
    "compare_indexed",
    "compare_pairs",
    "compare_stage",
    "comparison_for_field",
    "comparison_from_dict",
    "comparisons_for",
    "comparisons_from_config",
    "frequencies",
    "gather",
    "pair_term_frequencies",
    "prepare_all",
    "similarity",
    "source_codes",
    "term_keys",
    "term_prepared",
    "term_values",
    "word_relations",
]
