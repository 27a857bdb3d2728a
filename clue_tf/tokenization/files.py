"""Tokenizing text files line by line, the library side of `clue-tf tokenize`."""

import itertools
from typing import Iterable, Iterator

from tqdm import tqdm

from clue_tf.io.inputs import read_lines
from clue_tf.io.outputs import atomic_write
from clue_tf.tokenization.full_tokenizer import FullTokenizer

CHUNK_LINES = 8192


def tokenize_file(
    input_file: str,
    output_file: str,
    vocab_file: str,
    do_lower_case: bool = True,
    in_graph: bool = False,
    errors: str = "strict",
    keep_special_tokens: bool = False,
) -> int:
    """Writes one line of space-separated WordPiece tokens per input line; returns the count.

    `in_graph=True` tokenizes with the TensorFlow ops of `BertTokenizer` (batched), which
    gives the same tokens as the Python path, faster on large files.
    """
    lines = read_lines(input_file, errors=errors, advice="use --errors=replace to decode it with U+FFFD")
    if in_graph:
        token_lines = _tokenize_in_graph(lines, vocab_file, do_lower_case, keep_special_tokens)
    else:
        tokenizer = FullTokenizer(vocab_file, do_lower_case, keep_special_tokens=keep_special_tokens)
        token_lines = (tokenizer.tokenize(line) for line in lines)
    count = 0
    progress = tqdm(desc="tokenize", unit=" lines", disable=None, leave=False)
    with atomic_write(output_file) as out:
        for tokens in token_lines:
            out.write(" ".join(tokens) + "\n")
            count += 1
            progress.update()
    progress.close()
    return count


def _tokenize_in_graph(
    lines: Iterable[str], vocab_file: str, do_lower_case: bool, keep_special_tokens: bool
) -> Iterator[list[str]]:
    import tensorflow as tf

    from clue_tf.tokenization.bert_tokenizer import BertTokenizer

    tokenizer = BertTokenizer(
        vocab_file, do_lower_case=do_lower_case, keep_special_tokens=keep_special_tokens,
        dtype="string",
    )
    tokenize = tf.function(tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)])
    lines = iter(lines)
    while chunk := list(itertools.islice(lines, CHUNK_LINES)):
        for row in tokenize(tf.constant(chunk)).to_list():
            yield [token.decode("utf-8") for token in row]

