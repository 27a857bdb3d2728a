"""The Keras tokenizer layer: Google-exact ids, eagerly in Python and inside the graph.

`BertTokenizer` is a keras-hub `BertTokenizer`, so keras-hub preprocessors and
`from_preset`/`save_to_preset` accept it. Called eagerly it runs our Python
`FullTokenizer`; inside `tf.data` or a `tf.function` (or a SavedModel) it runs
`GraphNormalizer` plus tensorflow-text's FastWordpieceTokenizer. Both paths give
Google's ids, which keras-hub's own WordPiece tokenizer does not for Chinese text
(it folds full-width punctuation to ASCII and maps U+3000 to [UNK]).
"""

from typing import Iterable, Optional

import keras
import keras_hub
import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from clue_tf.private_api import preprocessing_function
from clue_tf.tokenization.full_tokenizer import MAX_CHARS_PER_WORD, UNK_TOKEN, FullTokenizer
from clue_tf.tokenization.graph_normalizer import GraphNormalizer
from clue_tf.errors import VocabError
from clue_tf.tokenization.vocab import Vocab, load_vocab

# A word FastWordpiece must map to [UNK]: control characters never survive text
# cleaning, so U+0001 cannot occur in a real word and no vocab entry can match it.
_UNMATCHABLE_WORD = "\x01"


@keras.saving.register_keras_serializable(package="clue_tf")
class BertTokenizer(keras_hub.models.BertTokenizer):
    """WordPiece tokenizer with Google BERT's exact `FullTokenizer` semantics.

    Args:
        vocabulary: path of a `vocab.txt`, a `Vocab`, or a list of tokens.
        do_lower_case: lower-case and strip accents, as the Chinese checkpoints expect.
        keep_special_tokens: keep `[MASK]`, `[SEP]`, `extra0`, ... written in the text
            as single tokens (for fill-mask and T5). Off by default, as in Google's code.
        special_tokens: which tokens `keep_special_tokens` keeps; defaults to every
            bracketed and sentinel token of the vocab.
        sequence_length: if set, outputs are padded or cut to this length.
    """

    def __init__(
        self,
        vocabulary=None,
        do_lower_case: bool = True,
        keep_special_tokens: bool = False,
        special_tokens: Optional[Iterable[str]] = None,
        sequence_length: Optional[int] = None,
        **kwargs,
    ):
        for fixed in ("lowercase", "strip_accents", "split", "split_on_cjk"):
            kwargs.pop(fixed, None)  # fixed by Google's semantics; kept out of configs
        self.do_lower_case = do_lower_case
        self.keep_special_tokens = keep_special_tokens
        self._requested_special_tokens = list(special_tokens) if special_tokens else None
        super().__init__(
            vocabulary=vocabulary,
            lowercase=do_lower_case,
            strip_accents=do_lower_case,
            sequence_length=sequence_length,
            **kwargs,
        )

    def set_vocabulary(self, vocabulary) -> None:
        """Sets the vocab from a path (read as Google does), a `Vocab` or a token list."""
        if vocabulary is None:
            self._vocab = None
            self._full_tokenizer = None
            self._normalizer = None
            super().set_vocabulary(None)
            return
        if isinstance(vocabulary, Vocab):
            self._vocab = vocabulary
        elif isinstance(vocabulary, str):
            self._vocab = load_vocab(vocabulary)
        else:
            lines = [str(token).strip() for token in vocabulary]
            self._vocab = Vocab(path="<list>", lines=lines, ids={t: i for i, t in enumerate(lines)})
        self._full_tokenizer = FullTokenizer(
            self._vocab,
            do_lower_case=self.do_lower_case,
            keep_special_tokens=self.keep_special_tokens,
            special_tokens=self._requested_special_tokens,
        )
        if self._full_tokenizer.word_level:
            raise VocabError(
                f"{self._vocab.path}: a word-level vocab (Chinese words as entries, as Zhuiyi's word "
                "RoFormer has): its text is cut into jieba words first, which the in-graph tokenizer "
                "cannot do, so pretraining data and serving SavedModels do not take it; run_classifier "
                "(also --do_predict), extract_features and fill_mask use the Python tokenizer for it")
        self._normalizer = None
        super().set_vocabulary(list(self._vocab.lines))

    @property
    def full_tokenizer(self) -> FullTokenizer:
        """The Python reference tokenizer this layer is exact to."""
        return self._full_tokenizer

    def _set_vocabulary_tf(self) -> None:
        self._normalizer = GraphNormalizer(
            do_lower_case=self.do_lower_case,
            special_tokens=self._full_tokenizer.special_tokens,
        )
        self._fast_word_piece = tf_text.FastWordpieceTokenizer(
            vocab=self._wordpiece_entries(),
            token_out_type=self.compute_dtype,
            unknown_token=UNK_TOKEN,
            no_pretokenization=True,
            # Generous in bytes; Google's limit is in characters and applied below.
            max_bytes_per_word=4 * MAX_CHARS_PER_WORD,
        )

    def _wordpiece_entries(self) -> list[str]:
        """Vocab lines as FastWordpiece needs them: ids by position, every entry unique.

        A line shadowed by a later duplicate, or an empty line, becomes an entry no word
        can match (it starts with U+0001), so ids stay line numbers as in Google's code.
        Special tokens kept whole are matched through their placeholder characters,
        except [UNK]: its placeholder matches nothing, which yields [UNK] all the same.
        """
        entries = [
            token if token and self._vocab.ids[token] == index else f"{_UNMATCHABLE_WORD}{index}"
            for index, token in enumerate(self._vocab.lines)
        ]
        for index, token in enumerate(self._full_tokenizer.special_tokens):
            if token != UNK_TOKEN:
                entries[self._vocab.ids[token]] = self._normalizer.placeholder(index)
        return entries

    def words(self, inputs) -> tf.RaggedTensor:
        """Google's basic tokens (before WordPiece) of a batch of strings, in-graph."""
        self._maybe_initialized_tf()
        return self._normalizer.words(inputs)

    @preprocessing_function
    def _tokenize_tf(self, inputs):
        self._maybe_initialized_tf()
        inputs = tf.convert_to_tensor(inputs)
        unbatched = inputs.shape.rank == 0
        if unbatched:
            inputs = tf.expand_dims(inputs, 0)
        words = self._normalizer.words(inputs)
        too_long = tf.strings.length(words.flat_values, unit="UTF8_CHAR") > MAX_CHARS_PER_WORD
        words = words.with_flat_values(tf.where(too_long, _UNMATCHABLE_WORD, words.flat_values))
        tokens = self._fast_word_piece.tokenize(words).merge_dims(-2, -1)
        if self.sequence_length:
            tokens = tokens.to_tensor(shape=[None, self.sequence_length])
        if unbatched:
            tokens = tokens[0]
        return tokens

    def _tokenize_python(self, inputs):
        texts, batched = _as_python_strings(inputs)
        rows = [self._full_tokenizer.tokenize(text) for text in texts]
        if np.issubdtype(np.dtype(self.compute_dtype), np.integer):
            rows = [self._full_tokenizer.convert_tokens_to_ids(row) for row in rows]
            pad = 0
        else:
            pad = ""
        if self.sequence_length:
            n = self.sequence_length
            rows = [row[:n] + [pad] * (n - len(row)) for row in rows]
            if pad == 0:
                rows = np.array(rows, dtype=self.compute_dtype)
        if batched:
            return rows
        row = rows[0]
        return np.array(row, dtype=self.compute_dtype) if pad == 0 else row

    def get_config(self) -> dict:
        config = super().get_config()
        for fixed in ("lowercase", "strip_accents", "split", "split_on_cjk",
                      "special_tokens_in_strings"):
            config.pop(fixed, None)
        config.update(
            {
                "do_lower_case": self.do_lower_case,
                "keep_special_tokens": self.keep_special_tokens,
                "special_tokens": self._requested_special_tokens,
            }
        )
        return config


def _as_python_strings(inputs) -> tuple[list[str], bool]:
    """Python strings from a str, bytes, list, NumPy array or TF tensor; and batched-ness."""
    if isinstance(inputs, (tf.Tensor, tf.RaggedTensor)):
        inputs = inputs.numpy()
    if isinstance(inputs, np.ndarray):
        inputs = inputs.tolist()
    batched = isinstance(inputs, (list, tuple))
    items = inputs if batched else [inputs]
    texts = [item.decode("utf-8", "ignore") if isinstance(item, bytes) else str(item) for item in items]
    return texts, batched
