"""Blocking: which record pairs are worth comparing.

:mod:`~linkage.blocking.rules` (the rules and their automatic choice),
:mod:`~linkage.blocking.keys` (keys as integer codes), :mod:`~linkage.blocking.pairs` (the
pairs found in full), :mod:`~linkage.blocking.state` (the keys kept for the next run),
:mod:`~linkage.blocking.local` (the pairs recomputed only where new, changed or removed records
can change them) and :mod:`~linkage.blocking.stage` (the stage: either, given the previous
run's blocking).
"""

from linkage.blocking.keys import RuleKeys, rule_keys, unique_groups
from linkage.blocking.local import cached_candidate_pairs
from linkage.blocking.pairs import BlockingReport, pair_completeness
from linkage.blocking.rules import BlockingRule, choose_rules, rules_for
from linkage.blocking.stage import (
    LOCAL_BLOCKING,
    PreviousBlocking,
    blocking_settings,
    candidate_pairs,
)
from linkage.blocking.state import (
    KeyState,
    RuleKeyState,
    key_state,
    load_key_state,
    rule_key_state,
    save_key_state,
)

__all__ = [
    "LOCAL_BLOCKING",
    "BlockingReport",
    "BlockingRule",
    "KeyState",
    "PreviousBlocking",
    "RuleKeyState",
    "RuleKeys",
    "blocking_settings",
    "cached_candidate_pairs",
    "candidate_pairs",
    "choose_rules",
    "key_state",
    "load_key_state",
    "pair_completeness",
    "rule_key_state",
    "rule_keys",
    "rules_for",
    "save_key_state",
    "unique_groups",
]
