"""Google BERT's FullTokenizer, reproduced exactly: basic tokenization, then WordPiece.

This is the reference path, written to read like Google's `tokenization.py`. The in-graph
tokenizer (`graph_normalizer.py` and tensorflow-text's WordPiece, joined in
`bert_tokenizer.py`) must give the same ids for every text.
"""

import functools
import re
from typing import Iterable, Optional

from clue_tf.tokenization import unicode_rules
from clue_tf.tokenization.vocab import Vocab, load_vocab
from clue_tf.tokenization.word_segmentation import is_word_level, jieba_words

MAX_CHARS_PER_WORD = 200
UNK_TOKEN = "[UNK]"

# Per-character predicates are pure; caching them keeps the reference readable
# and several times faster on Chinese text, where few distinct characters repeat.
_is_dropped = functools.lru_cache(maxsize=None)(unicode_rules.is_dropped)
_is_whitespace = functools.lru_cache(maxsize=None)(unicode_rules.is_whitespace)
_is_cjk = functools.lru_cache(maxsize=None)(unicode_rules.is_cjk)
_is_punctuation = functools.lru_cache(maxsize=None)(unicode_rules.is_punctuation)


class BasicTokenizer:
    """Cleans text, splits CJK characters and punctuation, optionally lower-cases."""

    def __init__(self, do_lower_case: bool = True):
        self.do_lower_case = do_lower_case

    def tokenize(self, text: str) -> list[str]:
        text = self._clean_text(text)
        text = self._pad_cjk_chars(text)
        tokens = []
        for token in text.split():
            if self.do_lower_case:
                token = unicode_rules.strip_accents(token.lower())
            tokens.extend(self._split_on_punctuation(token))
        return tokens

    @staticmethod
    def _clean_text(text: str) -> str:
        """Drops NUL, U+FFFD and control characters; every whitespace becomes ' '."""
        return "".join(
            " " if _is_whitespace(char) else char
            for char in text
            if not _is_dropped(char)
        )

    @staticmethod
    def _pad_cjk_chars(text: str) -> str:
        """Surrounds each CJK character with spaces so it becomes its own word."""
        return "".join(f" {char} " if _is_cjk(char) else char for char in text)

    @staticmethod
    def _split_on_punctuation(token: str) -> list[str]:
        """Each punctuation character becomes a word of its own."""
        words: list[str] = []
        start_new_word = True
        for char in token:
            if _is_punctuation(char):
                words.append(char)
                start_new_word = True
            elif start_new_word:
                words.append(char)
                start_new_word = False
            else:
                words[-1] += char
        return words


class WordpieceTokenizer:
    """Greedy longest-match-first WordPiece with `##` continuation pieces."""

    def __init__(self, vocab: Vocab, max_chars_per_word: int = MAX_CHARS_PER_WORD):
        self.vocab = vocab
        self.max_chars_per_word = max_chars_per_word

    def tokenize(self, word: str) -> list[str]:
        """Pieces of one word; a word too long or with an unmatchable part is [UNK]."""
        if len(word) > self.max_chars_per_word:
            return [UNK_TOKEN]
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab.ids:
                    break
                end -= 1
            else:
                return [UNK_TOKEN]
            pieces.append(piece)
            start = end
        return pieces


class FullTokenizer:
    """Google's FullTokenizer: `tokenize` gives WordPiece tokens, `encode` gives ids.

    With `keep_special_tokens=True`, vocab tokens such as `[MASK]`, `[SEP]` or the T5
    sentinels `extra0` / `<extra_id_0>` written in the text stay single tokens instead
    of being lower-cased and split on punctuation. Off by default, as in Google's code.
    A word-level vocab (Zhuiyi's word RoFormer) cuts the text into jieba words first.
    """

    def __init__(
        self,
        vocab: "Vocab | str",
        do_lower_case: bool = True,
        keep_special_tokens: bool = False,
        special_tokens: Optional[Iterable[str]] = None,
    ):
        self.vocab = vocab if isinstance(vocab, Vocab) else load_vocab(vocab)
        self.do_lower_case = do_lower_case
        self.basic_tokenizer = BasicTokenizer(do_lower_case=do_lower_case)
        self.wordpiece_tokenizer = WordpieceTokenizer(self.vocab)
        self.word_level = is_word_level(self.vocab.lines)  # jieba words first (word_segmentation.py)
        self.special_tokens: list[str] = []
        self._special_pattern = None
        if keep_special_tokens:
            tokens = special_tokens if special_tokens is not None else self.vocab.special_tokens()
            self.special_tokens = sorted(set(tokens), key=lambda t: (-len(t), t))
            self._special_pattern = re.compile(
                "(" + "|".join(re.escape(t) for t in self.special_tokens) + ")"
            )

    def tokenize(self, text: str) -> list[str]:
        if self._special_pattern is None:
            return self._tokenize_plain(text)
        tokens = []
        for index, segment in enumerate(self._special_pattern.split(text)):
            if index % 2:  # odd segments are the captured special tokens
                tokens.append(segment)
            else:
                tokens.extend(self._tokenize_plain(segment))
        return tokens

    def _tokenize_plain(self, text: str) -> list[str]:
        if self.word_level:
            return [piece for word in jieba_words(text, self.do_lower_case)
                    for piece in ([word] if word in self.vocab.ids else self._tokenize_characters(word))]
        return self._tokenize_characters(text)

    def _tokenize_characters(self, text: str) -> list[str]:
        """Google's BasicTokenizer then WordPiece."""
        return [
            piece
            for word in self.basic_tokenizer.tokenize(text)
            for piece in self.wordpiece_tokenizer.tokenize(word)
        ]

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        return [self.vocab.ids[token] for token in tokens]

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        return [self.vocab.lines[i] for i in ids]

    def encode(self, text: str) -> list[int]:
        """Token ids of `text`, without [CLS]/[SEP]."""
        return self.convert_tokens_to_ids(self.tokenize(text))
