"""Google's basic tokenization as TensorFlow ops: text -> words, inside the graph.

Each step mirrors `BasicTokenizer` in `full_tokenizer.py`, in the same order, and every
character class is generated from the predicates in `unicode_rules.py`, so Python and
the graph share one set of Unicode tables. Steps that depend on a character's context
(Python's final-sigma rule) or that RE2 cannot express (Python's lower()) are done with
a regex rewrite and a code-point lookup table built from Python itself.
"""

import functools
import hashlib
import json
import os
import sys
import unicodedata
from typing import Sequence

import tensorflow as tf
import tensorflow_text as tf_text

from clue_tf.tokenization import unicode_rules as rules

# Private-use code points stand in for special tokens (`[MASK]`, `extra0`, ...) while
# the text is normalized: no rule touches them, so each survives as a word of its own.
PLACEHOLDER_BASE = 0xF0000


@functools.cache
def _patterns() -> dict[str, str]:
    """RE2 patterns for each rule, from a cache file when one matches this Python's
    Unicode tables and these rules; building them enumerates every code point (~2 s)."""
    path = _cache_path()
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    patterns = _build_patterns()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(patterns, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return patterns


def _cache_path() -> str:
    """One file per Unicode version, Python version and version of the rules' source."""
    sources = [rules.__file__, __file__]
    digest = hashlib.sha256(b"".join(open(s, "rb").read() for s in sources)).hexdigest()[:16]
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = f"unicode-{unicodedata.unidata_version}-py{sys.version_info[0]}{sys.version_info[1]}-{digest}.json"
    return os.path.join(root, "clue_tf", name)


def _build_patterns() -> dict[str, str]:
    sigma_neighbour = rules.char_class(rules.is_cased_for_sigma)
    ignorable = rules.char_class(rules.is_case_ignorable)
    not_cased_or_ignorable = rules.char_class(
        rules.is_cased_for_sigma, rules.is_case_ignorable, negate=True
    )
    return {
        "dropped": rules.char_class(rules.is_dropped) + "+",
        "whitespace": rules.char_class(rules.is_whitespace, rules.splits_words),
        # CJK characters are padded together with punctuation, after lower-casing: they
        # are neither cased nor case-ignorable (final sigma cannot see them) and are NFD
        # starters (canonical reordering cannot move marks across them), so padding
        # them later gives the tokens Google gets by padding them first, in one pass.
        "own_word": "(" + rules.char_class(rules.is_cjk, rules.is_punctuation) + ")",
        "nonspacing_mark": rules.char_class(rules.is_nonspacing_mark) + "+",
        "sigma": "[\\x{3A3}]",
        "non_ascii_upper": rules.char_class(_changes_when_lowered_outside_ascii),
        "lowercase": [list(pair) for pair in rules.lowercase_map().items()],
        "final_sigma": (
            f"({sigma_neighbour}{ignorable}*)\\x{{3A3}}({ignorable}*)"
            f"(\\z|{not_cased_or_ignorable})"
        ),
    }


def _changes_when_lowered_outside_ascii(char: str) -> bool:
    return ord(char) > 0x7F and char.lower() != char


def _lowercase_table() -> tf.lookup.StaticHashTable:
    pairs = _lowercase_pairs()
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(list(pairs.keys()), tf.int32),
            tf.constant(list(pairs.values()), tf.int32),
        ),
        default_value=-1,
    )


def _lowercase_pairs() -> dict[int, int]:
    return {int(k): int(v) for k, v in _patterns()["lowercase"]}


def literal_pattern(text: str) -> str:
    """An RE2 pattern matching `text` literally (every character written as \\x{..})."""
    return "".join(f"\\x{{{ord(c):X}}}" for c in text)


class GraphNormalizer(tf.Module):
    """Splits a batch of strings into Google's basic tokens with TensorFlow ops."""

    def __init__(self, do_lower_case: bool = True, special_tokens: Sequence[str] = ()):
        super().__init__()
        self.do_lower_case = do_lower_case
        self.patterns = _patterns()
        self.special_tokens = list(special_tokens)
        self._lowercase = _lowercase_table() if do_lower_case else None
        self._special_placeholders = None
        if self.special_tokens:
            ordered = sorted(self.special_tokens, key=lambda t: (-len(t), t))
            self._special_pattern = "|".join(literal_pattern(t) for t in ordered)
            self._special_placeholders = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(self.special_tokens),
                    tf.constant([f" {self.placeholder(i)} " for i in range(len(self.special_tokens))]),
                ),
                default_value="",
            )

    def placeholder(self, index: int) -> str:
        """The stand-in character for `special_tokens[index]`."""
        return chr(PLACEHOLDER_BASE + index)

    def words(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """[batch] strings -> [batch, (words)] basic tokens, as `BasicTokenizer.tokenize`."""
        texts = tf.convert_to_tensor(texts, tf.string)
        if self._special_placeholders is not None:
            texts = self._protect_special_tokens(texts)
        p = self.patterns
        texts = tf.strings.regex_replace(texts, p["dropped"], "")
        texts = tf.strings.regex_replace(texts, p["whitespace"], " ")
        if self.do_lower_case:
            texts = self._lower(texts)
            texts = tf_text.normalize_utf8(texts, "NFD")
            texts = tf.strings.regex_replace(texts, p["nonspacing_mark"], "")
        texts = tf.strings.regex_replace(texts, p["own_word"], r" \1 ")
        return tf.strings.split(texts)

    def _protect_special_tokens(self, texts: tf.Tensor) -> tf.Tensor:
        pieces = tf_text.regex_split(
            texts, self._special_pattern, keep_delim_regex_pattern=self._special_pattern
        )
        stand_ins = self._special_placeholders.lookup(pieces)
        pieces = tf.where(stand_ins == "", pieces, stand_ins)
        return tf.strings.reduce_join(pieces, axis=-1)

    def _lower(self, texts: tf.Tensor) -> tf.Tensor:
        """Python's str.lower(): final sigma by rule, ASCII by TF, the rest by a table.

        Σ and non-ASCII capitals are rare in Chinese text, so the two costly steps run
        only for batches that contain one.
        """
        p = self.patterns
        texts = tf.cond(
            _any_match(texts, p["sigma"]),
            lambda: tf.strings.regex_replace(texts, p["final_sigma"], "\\1\u03c2\\2\\3"),
            lambda: texts,
        )
        texts = tf.strings.lower(texts)  # ASCII only: A-Z, the same as Python's
        return tf.cond(
            _any_match(texts, p["non_ascii_upper"]),
            lambda: self._lower_by_table(texts),
            lambda: texts,
        )

    def _lower_by_table(self, texts: tf.Tensor) -> tf.Tensor:
        chars = tf.strings.unicode_decode(texts, "UTF-8")
        lowered = self._lowercase.lookup(chars.flat_values)
        flat = tf.where(lowered >= 0, lowered, chars.flat_values)
        return tf.strings.unicode_encode(chars.with_flat_values(flat), "UTF-8")


def _any_match(texts: tf.Tensor, char_class: str) -> tf.Tensor:
    """True if any text of the batch holds a character of `char_class` (a [...] class)."""
    return tf.logical_not(tf.reduce_all(tf.strings.regex_full_match(texts, "[^" + char_class[1:] + "*")))
