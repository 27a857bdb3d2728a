"""Model inputs for one text or a text pair, as Google's `convert_single_example`."""

from dataclasses import dataclass
from typing import Optional

from clue_tf.tokenization.full_tokenizer import FullTokenizer


@dataclass
class EncodedInput:
    """`[CLS] a [SEP] (b [SEP])` padded to a fixed length, with Google's feature names."""

    tokens: list[str]
    input_ids: list[int]
    input_mask: list[int]
    segment_ids: list[int]


def truncate_seq_pair(tokens_a: list, tokens_b: list, max_length: int) -> None:
    """Trims the pair in place to `max_length` tokens in all, always from the longer one.

    Google's rule: popping one token at a time from the end of the longer sequence keeps
    more of the shorter text than cutting both by the same fraction would.
    """
    while len(tokens_a) + len(tokens_b) > max_length:
        longer = tokens_a if len(tokens_a) > len(tokens_b) else tokens_b
        longer.pop()


def encode_example(
    tokenizer: FullTokenizer,
    text_a: str,
    text_b: Optional[str] = None,
    max_seq_length: int = 128,
) -> EncodedInput:
    """Tokenizes, truncates, adds [CLS]/[SEP], sets segment ids and pads with [PAD] (0)."""
    tokens_a = tokenizer.tokenize(text_a)
    tokens_b = tokenizer.tokenize(text_b) if text_b is not None else None
    if tokens_b is not None:
        truncate_seq_pair(tokens_a, tokens_b, max_seq_length - 3)
    else:
        del tokens_a[max_seq_length - 2 :]
    tokens = ["[CLS]", *tokens_a, "[SEP]"]
    segment_ids = [0] * len(tokens)
    if tokens_b is not None:
        tokens += [*tokens_b, "[SEP]"]
        segment_ids += [1] * (len(tokens_b) + 1)
    input_ids = tokenizer.convert_tokens_to_ids(tokens)
    padding = max_seq_length - len(input_ids)
    return EncodedInput(
        tokens=tokens,
        input_ids=input_ids + [0] * padding,
        input_mask=[1] * len(input_ids) + [0] * padding,
        segment_ids=segment_ids + [0] * padding,
    )
