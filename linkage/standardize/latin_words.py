"""Business words of Latin-script names in European languages: what is not the firm's own name.

``data/latin_words.csv`` lists, with their canonical English, the words registries put around a
firm's distinctive name (its role in the ``role`` column):

- ``descriptor``: organisational and honorific words (Koninklijke, Maatschappij, Gesellschaft,
  Société, International, Group, Holding, Research, factories) that say what kind of
  organisation it is, never which one, and never tell two industries apart;
- ``industry``: industry words of other languages (Chemie, Elektronik, Versicherung) that meet
  the industry table's English (``data/industry_terms.csv``);
- ``place``: countries and regions (Nederland, Deutsche, Europa), left out of the distinctive
  part unless nothing else is left (``Deutsche Bank``);
- ``proper``: common nouns that in Western names belong to the proper name (Hull House, Chicago
  Academy, Mary Crane): read as industry or organisation words only in renderings of Chinese
  names;
- ``neutral``: canonical English words of the industry table that never tell two firms apart
  (``collective``, ``modern``, ``new``): kept out of ``name_generic`` like the descriptors.

Long words are recognised through one typo (``electonics``, ``maatschppij``, ``koninklike``):
registries misspell them, and a word of seven letters or more within one edit of one of them is
far more often the misspelt word than another name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz.distance import OSA

from linkage.standardize.pinyin import is_pinyin
from linkage.standardize.text import fold_tokens
from linkage.standardize.vocabulary import industry, org_forms, read_table

DESCRIPTOR, INDUSTRY, PLACE, PROPER, NEUTRAL = (
    "descriptor",
    "industry",
    "place",
    "proper",
    "neutral",
)
_TYPO_MIN = 7  # letters a word needs before a typo of it is recognised


@dataclass(frozen=True)
class LatinWords:
    """The word roles of ``data/latin_words.csv`` and the typo index.

    Attributes:
        roles: Folded token -> (role, canonical English) for descriptors, industry and place
            words.
        proper: Tokens that belong to a proper name in a Western name.
        never_conflict: Canonical English words left out of a Latin name's ``name_generic``:
            descriptors and neutral words.
        neutral: The neutral words alone, left out of a Chinese name's ``name_generic`` too.
        typo_index: Each known long word and each of its one-letter deletions -> the words.
        typo_roles: Each known long word -> (role, canonical English).
    """

    roles: dict[str, tuple[str, str]]
    proper: frozenset[str]
    never_conflict: frozenset[str]
    neutral: frozenset[str]
    typo_index: dict[str, tuple[str, ...]]
    typo_roles: dict[str, tuple[str, str]]


@cache
def latin_words() -> LatinWords:
    """The Latin word table, with the long single words of the industry and organisation
    tables in the typo index."""
    roles: dict[str, tuple[str, str]] = {}
    proper: set[str] = set()
    never: set[str] = set()
    neutral: set[str] = set()
    for row in read_table("latin_words.csv"):
        role, canonical = row["role"], row["canonical"]
        tokens = [t for v in row["variants"].split("|") for t in fold_tokens(v)]
        if role == PROPER:
            proper.update(tokens)
        elif role == NEUTRAL:
            never.update(tokens)
            neutral.update(tokens)
        else:
            for token in tokens:
                roles.setdefault(token, (role, canonical))
            if role == DESCRIPTOR:
                never.update(canonical.split())
    typo_roles = {w: r for w, r in roles.items() if len(w) >= _TYPO_MIN and r[0] != PLACE}
    for table, role in ((industry(), INDUSTRY), (org_forms(), DESCRIPTOR)):
        for phrase, english in table.latin.items():
            if len(phrase) == 1 and len(phrase[0]) >= _TYPO_MIN:
                typo_roles.setdefault(phrase[0], (role, english))
    index: dict[str, list[str]] = {}
    for word in typo_roles:
        for key in {word, *_deletions(word)}:
            index.setdefault(key, []).append(word)
    return LatinWords(
        roles=roles,
        proper=frozenset(proper),
        never_conflict=frozenset(never),
        neutral=frozenset(neutral),
        typo_index={k: tuple(v) for k, v in index.items()},
        typo_roles=typo_roles,
    )


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


@lru_cache(maxsize=1 << 14)
def misspelt(token: str) -> tuple[str, str] | None:
    """The role and canonical English of the long known word a token misspells by one edit
    (a letter missing, extra, wrong, or two swapped), else None. Pinyin is never a typo: it
    is a Chinese name's own syllables."""
    if len(token) < _TYPO_MIN - 1 or not token.isalpha() or is_pinyin(token):
        return None
    words = latin_words()
    found: set[str] = set()
    for key in (token, *_deletions(token)):
        found.update(words.typo_index.get(key, ()))
    close = [w for w in found if OSA.distance(token, w, score_cutoff=1) <= 1]
    roles = {words.typo_roles[w] for w in close}
    if len(roles) > 1:  # a letter left out is the commonest slip: electrnics is electronics
        roles = {words.typo_roles[w] for w in close if len(w) == len(token) + 1}
    return roles.pop() if len(roles) == 1 else None
