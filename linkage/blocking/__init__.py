"""Blocking: which record pairs are worth comparing.

:mod:`~linkage.blocking.rules` (the rules and their automatic choice),
:mod:`~linkage.blocking.keys` (keys as integer codes), :mod:`~linkage.blocking.pairs` (the
candidate pairs of a run), :mod:`~linkage.blocking.state` (the keys kept for the next run)
and :mod:`~linkage.blocking.local` (an incremental run's pairs, recomputed only where new,
changed or removed records can change them).
"""

from linkage.blocking.keys import RuleKeys, rule_keys, unique_groups
from linkage.blocking.local import cached_candidate_pairs
from linkage.blocking.pairs import BlockingReport, candidate_pairs, pair_completeness
from linkage.blocking.rules import BlockingRule, choose_rules
from linkage.blocking.state import (
    KeyState,
    RuleKeyState,
    key_state,
    load_key_state,
    rule_key_state,
    save_key_state,
)

__all__ = [
    "BlockingReport",
    "BlockingRule",
    "KeyState",
    "RuleKeyState",
    "RuleKeys",
    "cached_candidate_pairs",
    "candidate_pairs",
    "choose_rules",
    "key_state",
    "load_key_state",
    "pair_completeness",
    "rule_key_state",
    "rule_keys",
    "save_key_state",
    "unique_groups",
]
