"""Word-level vocabularies (Zhuiyi's word RoFormer: 50,000 entries, most of them Chinese
words): text is cut into jieba words first, a word the vocab holds is one token, and every
other word goes through Google's character-level WordPiece (Zhuiyi's bert4keras tokenizer
with `pre_tokenize=jieba.cut(HMM=False)`). A vocab is word-level when it holds at least
WORD_LEVEL_MIN_ENTRIES entries of two or more CJK characters (Google's Chinese vocab: none).
"""

import logging

from clue_tf.tokenization.unicode_rules import is_cjk, strip_accents

WORD_LEVEL_MIN_ENTRIES = 1000


def is_word_entry(token: str) -> bool:
    """Two or more CJK characters: a Chinese word, not a single character."""
    return len(token) >= 2 and all(is_cjk(char) for char in token)


def is_word_level(tokens) -> bool:
    """Whether a vocab's tokens make it a word-level vocab (see the module docstring)."""
    return sum(1 for token in tokens if is_word_entry(token)) >= WORD_LEVEL_MIN_ENTRIES


def jieba_module():
    """jieba, quiet (a dependency of clue-tf; imported only when words are needed)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def jieba_words(text: str, do_lower_case: bool) -> list[str]:
    """jieba's words of `text` (dictionary only, no HMM guesses, as Zhuiyi's tokenizer cuts)."""
    if do_lower_case:
        text = strip_accents(text.lower())  # the whole text, as Zhuiyi's tokenizer does
    return list(jieba_module().cut(text, HMM=False))
