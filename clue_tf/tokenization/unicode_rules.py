"""Google BERT's character rules, written once and shared by both tokenizers.

The Python tokenizer calls the predicates directly. The in-graph tokenizer needs the
same rules as RE2 character classes; `char_class` builds them by asking the very same
predicates about every code point, so both paths use Python's Unicode tables and can
never disagree about a character.
"""

import functools
import sys
import unicodedata
from typing import Callable, Iterable

# Google's "Chinese character" ranges (CJK Unified Ideographs and extensions,
# compatibility ideographs). Hangul and kana are deliberately not included.
CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def is_cjk(char: str) -> bool:
    """True for a code point in Google's CJK ranges."""
    cp = ord(char)
    return any(low <= cp <= high for low, high in CJK_RANGES)


def is_whitespace(char: str) -> bool:
    """Space, tab, newline, carriage return and every Zs space (U+00A0, U+3000, ...)."""
    if char in " \t\n\r":
        return True
    return unicodedata.category(char) == "Zs"


def is_control(char: str) -> bool:
    """Cc and Cf characters, except tab, newline and CR (which count as whitespace)."""
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) in ("Cc", "Cf")


def is_dropped(char: str) -> bool:
    """Characters Google's text cleaning deletes: NUL, U+FFFD and control characters."""
    return char in "\x00\ufffd" or is_control(char)


def is_punctuation(char: str) -> bool:
    """Every non-alphanumeric ASCII symbol, plus all Unicode P* categories."""
    cp = ord(char)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def is_nonspacing_mark(char: str) -> bool:
    """Mn marks, which lower-casing strips after NFD (accents)."""
    return unicodedata.category(char) == "Mn"


def strip_accents(text: str) -> str:
    """NFD, then drop the Mn marks (accents), as Google's lower-casing does."""
    return "".join(char for char in unicodedata.normalize("NFD", text) if not is_nonspacing_mark(char))


def splits_words(char: str) -> bool:
    """Characters Python's str.split() splits on (it also splits on U+2028, U+001C, ...)."""
    return char.isspace()


# Final sigma: Python's str.lower() turns 'Σ' into 'ς' at the end of a word. It skips
# "case-ignorable" characters when looking at the neighbours and needs a "cased" one
# before it. Python does not expose those two properties, so we ask lower() itself.
def is_cased_for_sigma(char: str) -> bool:
    """True when `char` right before 'Σ' makes it word-final (cased, not case-ignorable)."""
    return (char + "Σ").lower()[-1] == "ς"


def is_case_ignorable(char: str) -> bool:
    """True when lower() looks through `char` to find a sigma's neighbour."""
    return ("A" + char + "Σ").lower()[-1] == "ς" and not is_cased_for_sigma(char)


def lowercase_map() -> dict[int, int]:
    """Code point -> code point of Python's str.lower(), for every character it changes.

    'İ' (U+0130) lowers to 'i' + U+0307; the mark is Mn and is stripped right after
    lower-casing, so mapping it to plain 'i' gives the same tokens.
    """
    return dict(_lowercase_pairs())


@functools.cache
def _lowercase_pairs() -> tuple[tuple[int, int], ...]:
    pairs = []
    for cp in range(sys.maxunicode + 1):
        lowered = chr(cp).lower()
        if lowered == chr(cp):
            continue
        if len(lowered) != 1 and not all(is_nonspacing_mark(c) for c in lowered[1:]):
            raise AssertionError(f"unexpected multi-character lower-casing of U+{cp:04X}")
        pairs.append((cp, ord(lowered[0])))
    return tuple(pairs)


@functools.cache
def code_points(predicate: Callable[[str], bool]) -> tuple[int, ...]:
    """Every code point (surrogates excluded) for which `predicate` holds."""
    return tuple(
        cp
        for cp in range(sys.maxunicode + 1)
        if not 0xD800 <= cp <= 0xDFFF and predicate(chr(cp))
    )


def char_class(*predicates: Callable[[str], bool], negate: bool = False) -> str:
    """An RE2 character class matching the union of the predicates' code points."""
    points = sorted(set().union(*(code_points(p) for p in predicates)))
    body = "".join(_range_text(low, high) for low, high in _ranges(points))
    return f"[{'^' if negate else ''}{body}]"


def _ranges(points: Iterable[int]) -> list[tuple[int, int]]:
    ranges: list[list[int]] = []
    for cp in points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return [(low, high) for low, high in ranges]


def _range_text(low: int, high: int) -> str:
    if low == high:
        return f"\\x{{{low:X}}}"
    return f"\\x{{{low:X}}}-\\x{{{high:X}}}"
