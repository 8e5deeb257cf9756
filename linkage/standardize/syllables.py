"""Adjacent pinyin syllable pairs of a company name, alike in hanzi and in an agency's Latin
rendering of it: a blocking key for the cross-script pairs whose parsed parts differ.

Agencies split, glue and pad pinyin as they please (``Chao Fan`` / 超凡, ``Yixingshi`` /
宜兴市, ``Changzhou Guofeng ... (Xinan)`` / 常州市新安国峰), so a rendering's trade name often
parses apart from the registered one. Pairs of adjacent syllables survive that: 常州市新安国峰
and the rendering above share ``guofeng`` and ``xinan``. Hanzi are read one character at a
time in their most common reading; Latin words are split into the fewest syllables, and runs
of pinyin words are read as one (English words between them end a run).
"""

from __future__ import annotations

import re
from itertools import pairwise

from linkage.standardize.hanzi import char_pinyin
from linkage.standardize.pinyin import segment
from linkage.standardize.text import has_cjk

_HANZI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def syllable_pairs(norm: str) -> str | None:
    """The distinct adjacent syllable pairs of a normalised name (``normalize_name(x).norm``),
    sorted and space-separated; None when it has none.

    Examples: ``常州新安国峰彩印包装`` -> ``anguo baozhuang caiyin changzhou fengcai guofeng
    xinan yinbao zhouxin``; ``xinan changzhou guofeng colour printing baozhuang`` ->
    ``baozhuang changzhou guofeng nanchang xinan zhouguo`` (``colour printing`` ends a run).
    """
    runs: list[list[str]] = []
    if has_cjk(norm):
        runs = [[char_pinyin(c) for c in run] for run in _HANZI_RUN.findall(norm)]
    else:
        current: list[str] = []
        for word in norm.split():
            syllables = segment(word)
            if syllables:
                current.extend(syllables)
            elif current:
                runs.append(current)
                current = []
        runs.append(current)
    pairs = {a + b for run in runs for a, b in pairwise(run)}
    return " ".join(sorted(pairs)) or None
