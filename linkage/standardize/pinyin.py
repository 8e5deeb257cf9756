"""Toneless Hanyu Pinyin syllables: tell whether a Latin word is pinyin and where it may split.

Agencies write Chinese names in pinyin grouped into words or run together
(``Donghai Shihua``, ``DONGHAISHIHUA``). pypinyin converts characters to pinyin but has no
segmenter for Latin text; the ~410 standard syllables and a dynamic-programming check are enough
to find a place name at the start of a glued word (``yuhuanxian``) or an industry word at its end
(``donghaishihua``), where the cut must fall between syllables.
"""

from __future__ import annotations

from functools import lru_cache

# the standard syllable inventory (ü written v, as pypinyin's lazy_pinyin does, and u)
_SYLLABLES = """
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang
cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang
chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao
die ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai
gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei
hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu
ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la
lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo
lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang
nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nue nuo nv nve o ou pa pai
pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing
qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san
sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan
shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie
ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin
xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai
zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua
zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
"""
SYLLABLES = frozenset(_SYLLABLES.split())
_LONGEST = max(len(s) for s in SYLLABLES)


@lru_cache(maxsize=1 << 16)
def is_pinyin(word: str) -> bool:
    """Tell whether a lower-case word is a run of one or more pinyin syllables."""
    if not word or not word.isascii() or not word.isalpha():
        return False
    ends = [False] * (len(word) + 1)
    ends[0] = True
    for start in range(len(word)):
        if not ends[start]:
            continue
        for end in range(start + 1, min(len(word), start + _LONGEST) + 1):
            if word[start:end] in SYLLABLES:
                ends[end] = True
    return ends[-1]


@lru_cache(maxsize=1 << 15)
def syllable_count(word: str) -> int:
    """The fewest syllables a pinyin word splits into (0 when it is not pinyin)."""
    best = [0] + [-1] * len(word)
    for start in range(len(word)):
        if best[start] < 0:
            continue
        for end in range(start + 1, min(len(word), start + _LONGEST) + 1):
            if word[start:end] in SYLLABLES and (best[end] < 0 or best[start] + 1 < best[end]):
                best[end] = best[start] + 1
    return max(best[-1], 0)


@lru_cache(maxsize=1 << 16)
def segment(word: str) -> tuple[str, ...]:
    """The syllables of a lower-case pinyin word, in the split with the fewest (the first
    found among equals): ``guofeng`` -> ``("guo", "feng")``; ``()`` when it is not pinyin."""
    best: list[tuple[str, ...] | None] = [()] + [None] * len(word)
    for start in range(len(word)):
        found = best[start]
        if found is None:
            continue
        for end in range(start + 1, min(len(word), start + _LONGEST) + 1):
            if word[start:end] in SYLLABLES:
                held = best[end]
                if held is None or len(found) + 1 < len(held):
                    best[end] = (*found, word[start:end])
    return best[-1] or () if word.isascii() and word.isalpha() else ()


def plain(word: str) -> str:
    """The word with ü written ``u`` (``lv``, ``nv`` -> ``lu``, ``nu``), as agencies write it.

    In pinyin ``lv`` and ``nv`` only spell ü: no syllable ends in ``l`` or ``n`` before ``v``.
    """
    return word.replace("lv", "lu").replace("nv", "nu") if "v" in word else word
