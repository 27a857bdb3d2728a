"""Pretraining instances from raw text, as Google's create_pretraining_data.py makes them.

The instance logic follows Google's script step for step and draws from one
`random.Random(seed)` in the same order, so with whole-word masking off the records
equal Google's for the same input, vocab and seed. Differences, all opt-in:
- Chinese whole-word masking: jieba word boundaries decide which tokens are masked
  together (Google's `##` rule finds no words in Chinese text); ids never change.
- MLM-only instances (RoBERTa style, `next_sentence=False`): consecutive sentences of a
  document packed up to the length limit, one segment, no sentence pairs.
- Unmasked instances (`masked=False`) for dynamic masking in tf.data.
Tokenization runs in-graph, batched over both cores, with Google's exact ids.
"""

import collections
import logging
import random
from dataclasses import dataclass
from typing import Sequence

from tqdm import tqdm

from clue_tf.errors import ClueTfError
from clue_tf.io.inputs import read_lines
from clue_tf.tokenization.unicode_rules import is_cjk
from clue_tf.tokenization.vocab import Vocab

logger = logging.getLogger(__name__)


@dataclass
class Sentence:
    """A sentence's WordPiece tokens, and for each whether it continues the word before it."""

    tokens: list[str]
    continues_word: list[bool]


@dataclass
class TrainingInstance:
    tokens: list[str]
    segment_ids: list[int]
    is_random_next: bool
    masked_lm_positions: list[int]
    masked_lm_labels: list[str]


MaskedLm = collections.namedtuple("MaskedLm", ["index", "label"])


def read_documents(
    input_files: Sequence[str], vocab: Vocab, do_lower_case: bool = True,
    whole_word_mask: bool = False, batch_size: int = 2048,
) -> list[list[Sentence]]:
    """Documents (lists of tokenized sentences) from one-sentence-per-line files,
    documents separated by blank lines; empty documents are dropped, as in Google's."""
    import tensorflow as tf

    from clue_tf.tokenization.bert_tokenizer import BertTokenizer

    lines = [line.strip() for path in input_files for line in read_lines(path)]
    tokenizer = BertTokenizer(vocab, do_lower_case=do_lower_case, dtype="string")
    dataset = (tf.data.Dataset.from_tensor_slices(tf.constant(lines or [""], tf.string)).batch(batch_size)
               .map(tokenizer, num_parallel_calls=tf.data.AUTOTUNE))
    tokenized = [[t.decode("utf-8") for t in row] for batch in dataset for row in batch.to_list()]
    documents: list[list[Sentence]] = [[]]
    segmenter = jieba_segmenter() if whole_word_mask else None
    for line, tokens in tqdm(zip(lines, tokenized), total=len(lines), desc="documents",
                             unit=" lines", disable=None, leave=False):
        if not line:
            documents.append([])
        if tokens:
            flags = word_continuations(line, tokens, segmenter)
            documents[-1].append(Sentence(tokens, flags))
    return [document for document in documents if document]


def jieba_segmenter():
    from clue_tf.tokenization.word_segmentation import jieba_module

    return jieba_module()


def word_continuations(line: str, tokens: list[str], segmenter) -> list[bool]:
    """True where a token continues the previous word: Google's `##` pieces, and with a
    segmenter, the second and later characters of a Chinese word."""
    flags = [token.startswith("##") for token in tokens]
    if segmenter is None:
        return flags
    starts_word = {}
    position = 0
    for word in segmenter.cut(line):
        for offset in range(len(word)):
            starts_word[position + offset] = offset == 0
        position += len(word)
    cursor = 0
    for i, token in enumerate(tokens):
        if len(token) == 1 and is_cjk(token):
            found = line.find(token, cursor)
            if found >= 0:
                flags[i] = i > 0 and not starts_word.get(found, True)
                cursor = found + 1
    return flags


def create_training_instances(
    documents: list[list[Sentence]], vocab: Vocab, rng: random.Random, max_seq_length: int = 128,
    dupe_factor: int = 10, short_seq_prob: float = 0.1, masked_lm_prob: float = 0.15,
    max_predictions_per_seq: int = 20, whole_word_mask: bool = False, next_sentence: bool = True,
    masked: bool = True, sentence_order: bool = False, ngram: int = 1,
) -> list[TrainingInstance]:
    """Google's `create_training_instances`, from already-read documents. `sentence_order`:
    ALBERT's pairs (label 1 = the two parts swapped); `ngram` > 1: ALBERT's n-gram masking."""
    if max_seq_length < 5:
        raise ClueTfError(f"max_seq_length {max_seq_length} is too small: [CLS] a [SEP] b [SEP] needs at least 5")
    if next_sentence and sum(len(d) for d in documents) < 2:
        raise ClueTfError("next-sentence pairs need at least two sentences in the input; "
                          "add text or use --nsp=false")
    rng.shuffle(documents)
    vocab_words = list(vocab.ids.keys())
    if sentence_order and not next_sentence:
        raise ClueTfError("sentence-order pairs need pairs: drop --nsp=false")
    instances = []
    for _ in range(dupe_factor):
        for document_index in range(len(documents)):
            pairs = (_instances_with_next_sentence(documents, document_index, max_seq_length, short_seq_prob, rng,
                                                   sentence_order) if next_sentence else
                     _instances_mlm_only(documents, document_index, max_seq_length, short_seq_prob, rng))
            for tokens, segment_ids, is_random_next, flags in pairs:
                positions, labels = [], []
                if masked:
                    tokens, positions, labels = create_masked_lm_predictions(
                        tokens, flags, masked_lm_prob, max_predictions_per_seq, vocab_words, rng,
                        whole_word_mask, ngram)
                instances.append(TrainingInstance(tokens, segment_ids, is_random_next, positions, labels))
    rng.shuffle(instances)
    return instances


def _instances_with_next_sentence(documents, document_index, max_seq_length, short_seq_prob, rng,
                                  sentence_order: bool = False):
    """Google's `create_instances_from_document`: A/B segment pairs, half random next; with
    `sentence_order`, ALBERT's: half the pairs swapped (a one-segment chunk still takes its B
    from a random document, as Google's ALBERT script does). Label 1: random or swapped."""
    document = documents[document_index]
    max_num_tokens = max_seq_length - 3
    target_seq_length = max_num_tokens
    if rng.random() < short_seq_prob:
        target_seq_length = rng.randint(2, max_num_tokens)
    current_chunk: list[Sentence] = []
    current_length = 0
    i = 0
    while i < len(document):
        current_chunk.append(document[i])
        current_length += len(document[i].tokens)
        if i == len(document) - 1 or current_length >= target_seq_length:
            if current_chunk:
                a_end = 1
                if len(current_chunk) >= 2:
                    a_end = rng.randint(1, len(current_chunk) - 1)
                a = _concat(current_chunk[:a_end])
                b = ([], [])
                if len(current_chunk) == 1 or (not sentence_order and rng.random() < 0.5):
                    is_random_next = True
                    target_b_length = target_seq_length - len(a[0])
                    for _ in range(10):
                        random_document_index = rng.randint(0, len(documents) - 1)
                        if random_document_index != document_index:
                            break
                    random_document = documents[random_document_index]
                    random_start = rng.randint(0, len(random_document) - 1)
                    for j in range(random_start, len(random_document)):
                        b[0].extend(random_document[j].tokens)
                        b[1].extend(random_document[j].continues_word)
                        if len(b[0]) >= target_b_length:
                            break
                    i -= len(current_chunk) - a_end  # put the unused sentences back
                else:
                    is_random_next = False
                    b = _concat(current_chunk[a_end:])
                    if sentence_order and rng.random() < 0.5:
                        a, b, is_random_next = b, a, True
                _truncate_pair(a, b, max_num_tokens, rng)
                tokens = ["[CLS]", *a[0], "[SEP]", *b[0], "[SEP]"]
                flags = [False, *a[1], False, *b[1], False]
                segment_ids = [0] * (len(a[0]) + 2) + [1] * (len(b[0]) + 1)
                yield tokens, segment_ids, is_random_next, flags
            current_chunk = []
            current_length = 0
        i += 1


def _instances_mlm_only(documents, document_index, max_seq_length, short_seq_prob, rng):
    """RoBERTa-style: whole sentences of one document packed into `[CLS] text [SEP]`."""
    document = documents[document_index]
    max_num_tokens = max_seq_length - 2
    tokens: list[str] = []
    flags: list[bool] = []
    for sentence in document:
        if tokens and len(tokens) + len(sentence.tokens) > max_num_tokens:
            yield ["[CLS]", *tokens, "[SEP]"], [0] * (len(tokens) + 2), False, [False, *flags, False]
            tokens, flags = [], []
        tokens.extend(sentence.tokens[:max_num_tokens])
        flags.extend(sentence.continues_word[:max_num_tokens])
        del tokens[max_num_tokens:], flags[max_num_tokens:]
    if tokens:
        yield ["[CLS]", *tokens, "[SEP]"], [0] * (len(tokens) + 2), False, [False, *flags, False]


def _concat(sentences: list[Sentence]) -> tuple[list[str], list[bool]]:
    tokens, flags = [], []
    for sentence in sentences:
        tokens.extend(sentence.tokens)
        flags.extend(sentence.continues_word)
    return tokens, flags


def _truncate_pair(a, b, max_num_tokens: int, rng: random.Random) -> None:
    """Google's truncate_seq_pair: trim the longer side, randomly from front or back."""
    while len(a[0]) + len(b[0]) > max_num_tokens:
        longer = a if len(a[0]) > len(b[0]) else b
        if rng.random() < 0.5:
            del longer[0][0], longer[1][0]
        else:
            longer[0].pop()
            longer[1].pop()


def _ngram_spans(units: list[list[int]], ngram: int, rng: random.Random) -> list[list[list[int]]]:
    """ALBERT's n-gram choice: from every start unit (in shuffled order) the spans of n, n-1,
    ..., 1 units, n drawn with p ~ 1/n; the masking loop takes the longest that still fits,
    as Google's shortens n. Google draws n from NumPy's unseeded global RNG; we use `rng`."""
    starts = list(range(len(units)))
    rng.shuffle(starts)
    entries = []
    for start in starts:
        longest = min(ngram, len(units) - start)
        n = rng.choices(range(1, longest + 1), weights=[1.0 / k for k in range(1, longest + 1)])[0]
        entries.append([[i for unit in units[start:start + k] for i in unit] for k in range(n, 0, -1)])
    return entries


def create_masked_lm_predictions(
    tokens: list[str], continues_word: list[bool], masked_lm_prob: float,
    max_predictions_per_seq: int, vocab_words: list[str], rng: random.Random,
    whole_word_mask: bool = False, ngram: int = 1,
) -> tuple[list[str], list[int], list[str]]:
    """Google's masking: ~15% of tokens (whole words if asked), 80% [MASK], 10% kept,
    10% a random vocab word. Returns the masked tokens, positions and original labels.
    `ngram` > 1: ALBERT's spans of 1..ngram consecutive candidates, p(n) ~ 1/n."""
    candidates: list[list[int]] = []
    for i, token in enumerate(tokens):
        if token in ("[CLS]", "[SEP]"):
            continue
        if whole_word_mask and candidates and continues_word[i]:
            candidates[-1].append(i)
        else:
            candidates.append([i])
    if ngram > 1:
        entries = _ngram_spans(candidates, ngram, rng)
    else:
        rng.shuffle(candidates)
        entries = [[index_set] for index_set in candidates]
    output = list(tokens)
    num_to_predict = min(max_predictions_per_seq, max(1, int(round(len(tokens) * masked_lm_prob))))
    masked: list[MaskedLm] = []
    covered: set[int] = set()
    for alternatives in entries:
        if len(masked) >= num_to_predict:
            break
        index_set = next((a for a in alternatives if len(masked) + len(a) <= num_to_predict), None)
        if index_set is None:
            continue
        if any(index in covered for index in index_set):
            continue
        for index in index_set:
            covered.add(index)
            if rng.random() < 0.8:
                replacement = "[MASK]"
            elif rng.random() < 0.5:
                replacement = tokens[index]
            else:
                replacement = vocab_words[rng.randint(0, len(vocab_words) - 1)]
            output[index] = replacement
            masked.append(MaskedLm(index, tokens[index]))
    masked.sort(key=lambda m: m.index)
    return output, [m.index for m in masked], [m.label for m in masked]
