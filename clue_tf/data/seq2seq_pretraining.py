"""Pretraining data for the encoder-decoder models: T5 span corruption and Pegasus GSG.

Span corruption follows UER's "t5" processor: spans drawn with truncated-geometric
lengths (p=0.3, at most 5 tokens) until 15 % of the non-special tokens are covered,
adjacent spans merged, each run replaced by one sentinel counting up from
`<extra_id_0>`, target `[CLS] s0 span0 s1 span1 ... s_k [SEP]`. Google T5's
`random_spans_noise_mask` (uniform segmentation, mean span 3) can choose the spans
instead. Gap-sentence generation follows UER's "gsg": about 30 % of a chunk's
sentences (leading ones, or random ones but never the last) move to the target, each
leaving one `[MASK]` in the source.

Records hold `input_ids` / `input_mask` (source) and `target_ids` / `target_mask`
(`[CLS] ... [SEP]`; the decoder reads target[:-1] and predicts target[1:]).
"""

import random
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import tensorflow as tf

from clue_tf.errors import ClueTfError
from clue_tf.tokenization.vocab import Vocab

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]")


@dataclass
class Seq2SeqInstance:
    source: list[str]  # [CLS] ... [SEP]
    target: list[str]  # [CLS] ... [SEP]


def sentinel_tokens(vocab: Vocab) -> list[str]:
    """The vocab's sentinels in id order: `extraN` (Hub spelling) or `<extra_id_N>`."""
    for spelling in ("extra{}", "<extra_id_{}>"):
        found = []
        while spelling.format(len(found)) in vocab.ids:
            found.append(spelling.format(len(found)))
        if found:
            return found
    raise ClueTfError(f"{vocab.path}: no sentinel tokens (extra0... or <extra_id_0>...); span "
                      "corruption needs a vocab with sentinels, e.g. google_zh_with_sentinel_vocab.txt")


def truncated_geometric_length(rng: random.Random, p: float = 0.3, max_length: int = 5) -> int:
    """k in 1..max_length with P(k) proportional to p (1-p)^(k-1)."""
    weights = [p * (1 - p) ** (k - 1) for k in range(1, max_length + 1)]
    return rng.choices(range(1, max_length + 1), weights=weights)[0]


def uer_span_mask(tokens: Sequence[str], rng: random.Random, noise_density: float = 0.15,
                  p: float = 0.3, max_span: int = 5) -> list[bool]:
    """UER's span selection: shuffled starts, geometric lengths, skip what would overshoot."""
    candidates = [i for i, t in enumerate(tokens) if t not in SPECIAL_TOKENS]
    budget = max(1, round(noise_density * len([t for t in tokens if t != "[PAD]"])))
    mask = [False] * len(tokens)
    covered = 0
    order = candidates[:]
    rng.shuffle(order)
    for start in order:
        if covered >= budget:
            break
        if mask[start]:
            continue
        length = truncated_geometric_length(rng, p, max_span)
        span = [i for i in range(start, min(start + length, len(tokens)))
                if tokens[i] not in SPECIAL_TOKENS and not mask[i]]
        if covered + len(span) > budget:
            continue
        for i in span:
            mask[i] = True
        covered += len(span)
    return mask


def random_spans_noise_mask(length: int, rng: np.random.Generator, noise_density: float = 0.15,
                            mean_noise_span_length: float = 3.0) -> np.ndarray:
    """Google T5's span mask: uniform random segmentation of noise and non-noise into
    interleaved spans, starting with non-noise."""
    num_noise = int(np.clip(round(length * noise_density), 1, length - 1))
    num_spans = max(1, int(round(num_noise / mean_noise_span_length)))
    num_nonnoise = length - num_noise

    def segment(total: int) -> np.ndarray:
        cuts = np.sort(rng.choice(np.arange(1, total), size=num_spans - 1, replace=False)) if num_spans > 1 else []
        return np.diff(np.concatenate([[0], cuts, [total]])).astype(int)

    noise, nonnoise = segment(num_noise), segment(num_nonnoise)
    mask = np.zeros(length, dtype=bool)
    position = 0
    for keep, drop in zip(nonnoise, noise):
        position += keep
        mask[position: position + drop] = True
        position += drop
    return mask


def corrupt_spans(tokens: list[str], mask: Sequence[bool], sentinels: Sequence[str]) -> Seq2SeqInstance:
    """Replaces each run of masked tokens by the next sentinel; the target lists them."""
    source, target = [], ["[CLS]"]
    used = 0
    for i, token in enumerate(tokens):
        if mask[i]:
            if i == 0 or not mask[i - 1]:
                if used >= len(sentinels):
                    raise ClueTfError(f"more masked spans than the vocab's {len(sentinels)} sentinels")
                source.append(sentinels[used])
                target.append(sentinels[used])
                used += 1
            target.append(token)
        else:
            source.append(token)
    target += [sentinels[min(used, len(sentinels) - 1)], "[SEP]"]
    return Seq2SeqInstance(source, target)


def span_corruption_instances(documents: list[list[list[str]]], vocab: Vocab, max_seq_length: int,
                              rng: random.Random, dupe_factor: int = 1, selection: str = "uer",
                              noise_density: float = 0.15) -> Iterator[Seq2SeqInstance]:
    """Packs each document's sentences into `[CLS] ... [SEP]` chunks and corrupts spans."""
    sentinels = sentinel_tokens(vocab)
    np_rng = np.random.default_rng(rng.randrange(2**32))
    for _ in range(dupe_factor):
        for document in documents:
            for chunk in pack_tokens(document, max_seq_length - 2):
                tokens = ["[CLS]", *chunk, "[SEP]"]
                if selection == "uer":
                    mask = uer_span_mask(tokens, rng, noise_density)
                elif selection == "google":
                    mask = [False, *random_spans_noise_mask(len(chunk), np_rng, noise_density), False] \
                        if len(chunk) > 1 else [False] * len(tokens)
                else:
                    raise ValueError(f"span selection must be uer or google, got {selection!r}")
                if any(mask):
                    yield corrupt_spans(tokens, mask, sentinels)


def pack_tokens(sentences: list[list[str]], max_tokens: int) -> Iterator[list[str]]:
    """Consecutive sentences joined while they fit; a longer sentence is cut."""
    chunk: list[str] = []
    for sentence in sentences:
        if chunk and len(chunk) + len(sentence) > max_tokens:
            yield chunk
            chunk = []
        chunk += sentence[: max_tokens - len(chunk)]
    if chunk:
        yield chunk


def gap_sentence_instances(documents: list[list[list[str]]], max_seq_length: int, max_target_length: int,
                           rng: random.Random, ratio: float = 0.3, selection: str = "lead",
                           dupe_factor: int = 1) -> Iterator[Seq2SeqInstance]:
    """Pegasus GSG: chosen sentences go to the target, each replaced by one [MASK]."""
    for _ in range(dupe_factor if selection == "random" else 1):
        for document in documents:
            sentences = [s for s in document if 0 < len(s) <= min(max_seq_length, max_target_length) - 2]
            for group in _pack_sentences(sentences, max_seq_length - 2, max_target_length - 2, ratio):
                count = max(1, round(ratio * len(group)))
                if selection == "lead":
                    chosen = set(range(count))
                elif selection == "random":
                    chosen = set(rng.sample(range(len(group) - 1), count))  # never the last
                else:
                    raise ValueError(f"gap sentence selection must be lead or random, got {selection!r}")
                source, target = ["[CLS]"], ["[CLS]"]
                for i, sentence in enumerate(group):
                    if i in chosen:
                        source.append("[MASK]")
                        target += sentence
                    else:
                        source += sentence
                yield Seq2SeqInstance(source + ["[SEP]"], target + ["[SEP]"])


def _pack_sentences(sentences, max_source: int, max_target: int, ratio: float) -> Iterator[list]:
    """Greedy groups of at least two sentences whose source and target both fit."""
    group: list[list[str]] = []
    for sentence in sentences:
        candidate = group + [sentence]
        count = max(1, round(ratio * len(candidate)))
        fits = (sum(map(len, candidate)) <= max_source + count
                and sum(sorted(map(len, candidate), reverse=True)[:count]) <= max_target)
        if fits or not group:
            group = candidate if fits else [sentence]
            continue
        if len(group) >= 2:
            yield group
        group = [sentence]
    if len(group) >= 2:
        yield group


def instance_to_example(instance: Seq2SeqInstance, vocab: Vocab, max_seq_length: int,
                        max_target_length: int) -> tf.train.Example:
    def padded(tokens, length):
        if len(tokens) > length:
            raise ClueTfError(f"an instance of {len(tokens)} tokens exceeds the record length {length}; "
                              "raise --max_seq_length / --max_target_length")
        ids = [vocab.ids[t] for t in tokens]
        return ids + [0] * (length - len(ids)), [1] * len(ids) + [0] * (length - len(ids))

    source, source_mask = padded(instance.source, max_seq_length)
    target, target_mask = padded(instance.target, max_target_length)

    def ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    return tf.train.Example(features=tf.train.Features(feature={
        "input_ids": ints(source), "input_mask": ints(source_mask),
        "target_ids": ints(target), "target_mask": ints(target_mask)}))


def feature_spec(max_seq_length: int, max_target_length: int) -> dict:
    return {
        "input_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "input_mask": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "target_ids": tf.io.FixedLenFeature([max_target_length], tf.int64),
        "target_mask": tf.io.FixedLenFeature([max_target_length], tf.int64),
    }


def parse_seq2seq_examples(records: tf.Tensor, max_seq_length: int, max_target_length: int) -> dict:
    """A batch of serialized records -> int32 features."""
    parsed = tf.io.parse_example(records, feature_spec(max_seq_length, max_target_length))
    return {name: tf.cast(value, tf.int32) for name, value in parsed.items()}
