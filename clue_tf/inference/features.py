"""Contextual embeddings in Google's extract_features.py JSON-lines format."""

import json
import re
from typing import Iterator, Sequence

import numpy as np

from clue_tf.errors import ClueTfError
from clue_tf.io.inputs import read_lines
from clue_tf.io.outputs import atomic_write
from clue_tf.tokenization.encoding import encode_example
from clue_tf.tokenization.full_tokenizer import FullTokenizer

_PAIR = re.compile(r"^(.*) \|\|\| (.*)$")


def read_examples(input_file: str) -> Iterator[tuple[str, "str | None"]]:
    """One example per line; `text_a ||| text_b` is a pair, as in Google's script."""
    for line in read_lines(input_file):
        line = line.strip()
        match = _PAIR.match(line)
        yield (match.group(1), match.group(2)) if match else (line, None)


def extract_features(
    encoder, tokenizer: FullTokenizer, input_file: str, output_file: str,
    layers: Sequence[int] = (-1, -2, -3, -4), max_seq_length: int = 128, batch_size: int = 32,
) -> int:
    """Writes one JSON line per input line: each token with the chosen layers' values
    (rounded to 6 decimals); returns the number of lines."""
    limit = getattr(encoder, "max_sequence_length", max_seq_length)
    if not 2 < max_seq_length <= limit:
        raise ClueTfError(f"--max_seq_length={max_seq_length}: must be 3..{limit} (the model's positions)")
    depth = getattr(encoder, "num_layers", None)
    bad = [i for i in layers if depth is not None and not -depth <= i < depth]
    if bad:
        raise ClueTfError(f"--layers: {', '.join(map(str, bad))} out of range for a {depth}-layer model")
    examples = list(read_examples(input_file))
    count = 0
    with atomic_write(output_file) as out:
        for start in range(0, len(examples), batch_size):
            encoded = [encode_example(tokenizer, a, b, max_seq_length) for a, b in examples[start:start + batch_size]]
            outputs = encoder({
                "token_ids": np.array([e.input_ids for e in encoded], np.int32),
                "segment_ids": np.array([e.segment_ids for e in encoded], np.int32),
                "padding_mask": np.array([e.input_mask for e in encoded], np.int32),
            })["encoder_outputs"]
            all_layers = np.stack([np.asarray(x) for x in outputs])  # [layers, batch, seq, hidden]
            for row, example in enumerate(encoded):
                features = [
                    {"token": token,
                     "layers": [{"index": index, "values": [round(float(v), 6) for v in all_layers[index, row, position]]}
                                for index in layers]}
                    for position, token in enumerate(example.tokens)
                ]
                out.write(json.dumps({"linex_index": start + row, "features": features}, ensure_ascii=False) + "\n")
                count += 1
    return count
