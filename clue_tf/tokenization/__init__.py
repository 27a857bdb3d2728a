"""Chinese WordPiece tokenization identical to Google BERT's `tokenization.py`.

- `load_vocab` / `Vocab`: vocab.txt read exactly as Google reads it.
- `FullTokenizer`: the Python reference (basic tokenization + WordPiece).
- `BertTokenizer`: the Keras layer; same ids in Python and inside the TF graph.
- `encode_example`: `[CLS] a [SEP] b [SEP]` inputs with Google's truncation.
"""

from clue_tf.tokenization.encoding import EncodedInput, encode_example, truncate_seq_pair
from clue_tf.tokenization.full_tokenizer import BasicTokenizer, FullTokenizer, WordpieceTokenizer
from clue_tf.tokenization.vocab import REQUIRED_TOKENS, Vocab, load_vocab

__all__ = [
    "BasicTokenizer", "BertTokenizer", "EncodedInput", "FullTokenizer", "REQUIRED_TOKENS", "Vocab",
    "WordpieceTokenizer", "encode_example", "load_vocab", "truncate_seq_pair",
]


def __getattr__(name):
    # The Keras layer imports TensorFlow; load it only when asked for.
    if name == "BertTokenizer":
        from clue_tf.tokenization.bert_tokenizer import BertTokenizer

        return BertTokenizer
    raise AttributeError(name)
