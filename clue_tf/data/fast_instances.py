"""Masked-LM instances on token-id arrays with NumPy: the fast path's BERT/ALBERT objective.

Google's algorithm, the same choices with the same probabilities, drawn from one
document's own generator instead of one stream for the whole corpus:
- segment pairs: target length, A/B split, random next (from a document of the same
  file) or ALBERT's swapped order, as `create_instances_from_document`;
- `truncate_seq_pair` in closed form: the longer side loses tokens until the sides are
  even, then they alternate (B first on a tie), each token from the front or the back
  with p=0.5, so a side's front cut is Binomial(removed, 0.5);
- masking: min(max_predictions, max(1, round(0.15 * len))) distinct non-special
  positions uniformly at random (Google's shuffle-and-take), 80 % [MASK], 10 % kept,
  10 % a random vocab word, for all of a document's instances in a few array operations.
"""

from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import numpy as np

Document = list[np.ndarray]  # sentences, each an int32 array of token ids


@dataclass
class SpecialIds:
    cls: int
    sep: int
    mask: int
    vocab_ids: np.ndarray  # the ids a random replacement is drawn from (Google: the vocab's words)


def _truncated_lengths(len_a: int, len_b: int, max_num_tokens: int) -> tuple[int, int]:
    """How many tokens Google's truncate_seq_pair removes from A and from B."""
    excess = len_a + len_b - max_num_tokens
    if excess <= 0:
        return 0, 0
    gap = min(excess, abs(len_a - len_b))
    cut_a, cut_b = (gap, 0) if len_a > len_b else (0, gap)
    rest = excess - gap
    return cut_a + rest // 2, cut_b + rest - rest // 2


def _cut(tokens: np.ndarray, removed: int, rng: np.random.Generator) -> np.ndarray:
    if removed == 0:
        return tokens
    front = int(rng.binomial(removed, 0.5))
    return tokens[front: len(tokens) - (removed - front)]


def _join(sentences: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate(sentences) if len(sentences) > 1 else sentences[0]


def pair_instances(documents: Sequence[Document], index: int, rng: np.random.Generator, max_seq_length: int,
                   short_seq_prob: float, sentence_order: bool = False) -> Iterator[tuple[np.ndarray, int, bool]]:
    """(A ids, B ids, label) for one document: label 1 = random next (or swapped with
    `sentence_order`). B of a random next comes from another document of `documents`."""
    document = documents[index]
    max_num_tokens = max_seq_length - 3
    target_length = max_num_tokens
    if rng.random() < short_seq_prob:
        target_length = int(rng.integers(2, max_num_tokens + 1))
    chunk: list[np.ndarray] = []
    length = 0
    i = 0
    while i < len(document):
        chunk.append(document[i])
        length += len(document[i])
        if i == len(document) - 1 or length >= target_length:
            a_end = int(rng.integers(1, len(chunk))) if len(chunk) >= 2 else 1
            a = _join(chunk[:a_end])
            if len(chunk) == 1 or (not sentence_order and rng.random() < 0.5):
                label = True
                target_b_length = target_length - len(a)
                for _ in range(10):
                    other_index = int(rng.integers(len(documents)))
                    if other_index != index:
                        break
                other = documents[other_index]
                start = int(rng.integers(len(other)))
                b_parts, b_length = [], 0
                for sentence in other[start:]:
                    b_parts.append(sentence)
                    b_length += len(sentence)
                    if b_length >= target_b_length:
                        break
                b = _join(b_parts)
                i -= len(chunk) - a_end  # the unused sentences start the next chunk
            else:
                label = False
                b = _join(chunk[a_end:])
                if sentence_order and rng.random() < 0.5:
                    a, b, label = b, a, True
            cut_a, cut_b = _truncated_lengths(len(a), len(b), max_num_tokens)
            yield _cut(a, cut_a, rng), _cut(b, cut_b, rng), label
            chunk, length = [], 0
        i += 1


def packed_instances(document: Document, max_seq_length: int) -> Iterator[np.ndarray]:
    """MLM-only (RoBERTa style): whole sentences packed up to the length, as the Python path."""
    max_num_tokens = max_seq_length - 2
    parts: list[np.ndarray] = []
    length = 0
    for sentence in document:
        if parts and length + len(sentence) > max_num_tokens:
            yield _join(parts)
            parts, length = [], 0
        piece = sentence[: max_num_tokens - length]
        parts.append(piece)
        length += len(piece)
    if parts:
        yield _join(parts)


def assemble(pairs: Sequence[tuple[np.ndarray, Optional[np.ndarray]]], special: SpecialIds,
             max_seq_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """[CLS] A [SEP] (B [SEP]) rows, zero-padded: input_ids, segment_ids, lengths."""
    len_a = np.array([len(a) for a, _ in pairs], np.int64)
    len_b = np.array([len(b) + 1 if b is not None else 0 for _, b in pairs], np.int64)
    lengths = len_a + 2 + len_b
    flat = np.concatenate([piece for a, b in pairs for piece in ((a, b) if b is not None else (a,))])
    ids = np.zeros((len(pairs), max_seq_length), np.int64)
    column = np.arange(max_seq_length)[None, :]
    is_a = (column >= 1) & (column <= len_a[:, None])
    is_b = (column >= len_a[:, None] + 2) & (column < lengths[:, None] - 1)
    content = is_a | is_b
    ids[content] = flat  # row-major order: each row's A then B, as concatenated
    ids[:, 0] = special.cls
    ids[np.arange(len(pairs)), len_a + 1] = special.sep
    ids[(column == lengths[:, None] - 1) & (len_b[:, None] > 0)] = special.sep
    segments = ((column >= len_a[:, None] + 2) & (column < lengths[:, None])).astype(np.int64)
    return ids, segments, lengths


def mask_draws(rng: np.random.Generator, rows: int, width: int, max_predictions_per_seq: int) -> np.ndarray:
    """A document's random numbers for masking its `rows` instances, in one call:
    [rows, width + 2 * slots] uniforms (position scores, actions, random words)."""
    return rng.random((rows, width + 2 * min(max_predictions_per_seq, width)))


def mask_rows(ids: np.ndarray, lengths: np.ndarray, draws: np.ndarray, special: SpecialIds,
              masked_lm_prob: float, max_predictions_per_seq: int) -> tuple[np.ndarray, ...]:
    """Masks rows in place with their `mask_draws`; returns (positions, label ids, weights),
    each [rows, max_predictions]."""
    rows, width = ids.shape
    slots = min(max_predictions_per_seq, width)
    real = np.arange(width)[None, :] < lengths[:, None]
    candidate = real & (ids != special.cls) & (ids != special.sep)
    wanted = np.minimum(max_predictions_per_seq, np.maximum(1, np.rint(lengths * masked_lm_prob).astype(np.int64)))
    count = np.minimum(wanted, candidate.sum(axis=1))
    scores = np.where(candidate, draws[:, :width], 2.0)
    smallest = np.argpartition(scores, slots - 1, axis=1)[:, :slots] if slots < width else \
        np.broadcast_to(np.arange(width), (rows, width))
    chosen_order = np.take_along_axis(
        smallest, np.argsort(np.take_along_axis(scores, smallest, axis=1), axis=1), axis=1)
    taken = np.arange(slots)[None, :] < count[:, None]
    positions = np.sort(np.where(taken, chosen_order, width), axis=1)  # chosen ones first, ascending
    positions = np.where(taken, positions, 0)
    labels = np.where(taken, np.take_along_axis(ids, positions, axis=1), 0)
    action = draws[:, width: width + slots]
    random_ids = special.vocab_ids[(draws[:, width + slots:] * len(special.vocab_ids)).astype(np.int64)]
    replacement = np.where(action < 0.8, special.mask, np.where(action < 0.9, labels, random_ids))
    row_index = np.broadcast_to(np.arange(rows)[:, None], positions.shape)
    ids[row_index[taken], positions[taken]] = replacement[taken]
    pad = max_predictions_per_seq - slots
    if pad:
        positions, labels, taken = (np.pad(x, ((0, 0), (0, pad))) for x in (positions, labels, taken))
    return positions, labels, taken.astype(np.float32)
