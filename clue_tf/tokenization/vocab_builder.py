"""Learning a WordPiece vocab from a corpus, as CLUE built its 8k Chinese vocab.

Words come from our Google-exact basic tokenizer (in-graph), so the learned vocab fits
the tokenizer that will use it; the learning itself is tensorflow-text's WordPiece
learner (the one keras-hub's `compute_word_piece_vocabulary` wraps), called directly so
that Chinese text may keep more than its default 1,000 distinct characters.
"""

from typing import Sequence

from clue_tf.errors import ClueTfError
from clue_tf.io.inputs import read_lines
from clue_tf.io.outputs import atomic_write

DEFAULT_RESERVED_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def learn_vocab(
    input_files: Sequence[str],
    vocab_size: int,
    do_lower_case: bool = True,
    reserved_tokens: Sequence[str] = DEFAULT_RESERVED_TOKENS,
    min_count: int = 1,
    max_unique_chars: int = 30000,
) -> list[str]:
    """Reserved tokens first, then learned pieces; at most `vocab_size` entries."""
    import tensorflow as tf
    from tensorflow_text.tools.wordpiece_vocab import wordpiece_tokenizer_learner_lib as learner

    from clue_tf.tokenization.graph_normalizer import GraphNormalizer

    texts = [line for path in input_files for line in read_lines(path)]
    if not any(line.strip() for line in texts):
        raise ClueTfError(f"{', '.join(input_files)}: no text to learn a vocab from")
    normalizer = GraphNormalizer(do_lower_case=do_lower_case)
    words = tf.data.Dataset.from_tensor_slices(texts).batch(1024).map(
        lambda batch: normalizer.words(batch).flat_values
    )
    word_counts = learner.count_words(words.as_numpy_iterator())
    vocab = learner.learn(
        word_counts,
        vocab_size=vocab_size,
        reserved_tokens=list(reserved_tokens),
        lower_thresh=min_count,
        max_unique_chars=max_unique_chars,
        include_joiner_token=True,
        joiner="##",
    )
    return vocab[:vocab_size]


def build_vocab_file(output_file: str, *args, **kwargs) -> int:
    """Learns a vocab (see `learn_vocab`) and writes it as vocab.txt; returns its size."""
    vocab = learn_vocab(*args, **kwargs)
    with atomic_write(output_file) as f:
        f.writelines(token + "\n" for token in vocab)
    return len(vocab)
