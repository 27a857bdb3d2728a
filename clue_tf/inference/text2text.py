"""Text-to-text generation with T5 v1.1 / Pegasus: text in, generated text out.

The source is tokenized as `[CLS] text [SEP]` with sentinels (`extra0`, `<extra_id_0>`)
kept whole; the decoder starts from the config's start token (UER: `[CLS]`) and stops at
its stop token (UER: `[SEP]`). Generation is keras-hub's cached loop with its greedy or
beam sampler. Output text follows HF's pipeline: special tokens other than sentinels
dropped, tokens joined by spaces, `##` pieces glued back.
"""

from typing import Optional, Sequence

import keras_hub
import numpy as np
import tensorflow as tf

from clue_tf.models.seq2seq_config import Seq2SeqConfig
from clue_tf.private_api import initialize_seq2seq_cache
from clue_tf.tokenization.vocab import Vocab, load_vocab

DROPPED_TOKENS = ("[CLS]", "[SEP]", "[PAD]")


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded int32 ids and their padding mask."""
    length = max(len(r) for r in rows)
    ids = np.full((len(rows), length), pad_id, dtype=np.int32)
    mask = np.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def make_sampler(num_beams: int) -> keras_hub.samplers.Sampler:
    return keras_hub.samplers.GreedySampler() if num_beams <= 1 else keras_hub.samplers.BeamSampler(num_beams)


def generate_ids(lm, config: Seq2SeqConfig, source_ids: Sequence[Sequence[int]], max_length: int,
                 num_beams: int = 1, use_cache: bool = True) -> list[list[int]]:
    """Generated target ids per source (start token dropped, cut before the stop token).

    `max_length` counts decoder positions including the start token, as HF's
    `generate(max_length=...)`. `use_cache=False` reruns the whole decoder every step
    (greedy only; for benchmarks and checks).
    """
    encoder_ids, encoder_mask = pad_batch(source_ids, config.pad_token_id)
    if use_cache:
        decoder_ids = np.full((len(source_ids), max_length), config.pad_token_id, dtype=np.int32)
        decoder_ids[:, 0] = config.start_token_id
        decoder_mask = np.zeros_like(decoder_ids)
        decoder_mask[:, 0] = 1
        if getattr(lm, "_clue_tf_beams", None) != num_beams:
            lm.compile(sampler=make_sampler(num_beams))
            lm._clue_tf_beams = num_beams
        generate = lm.make_generate_function()
        output = generate({"encoder_token_ids": tf.constant(encoder_ids),
                           "encoder_padding_mask": tf.constant(encoder_mask),
                           "decoder_token_ids": tf.constant(decoder_ids),
                           "decoder_padding_mask": tf.constant(decoder_mask)},
                          stop_token_ids=(config.stop_token_id,))
        tokens = np.asarray(output["decoder_token_ids"])
    else:
        if num_beams > 1:
            raise ValueError("beam search needs the cache")
        tokens = _greedy_without_cache(lm, config, encoder_ids, encoder_mask, max_length)
    return [_cut(row[1:], config.stop_token_id) for row in tokens.tolist()]


def _cut(row: list[int], stop_id: int) -> list[int]:
    return row[: row.index(stop_id)] if stop_id in row else row


def _greedy_without_cache(lm, config, encoder_ids, encoder_mask, max_length) -> np.ndarray:
    """Greedy decoding that reruns the decoder over every position at each step.

    The encoder runs once (as HF's `use_cache=False`); the decoder's keys and values
    are recomputed from scratch each step instead of read from a cache.
    """
    batch = len(encoder_ids)
    encoder_ids, encoder_mask = tf.constant(encoder_ids), tf.constant(encoder_mask)
    encoder_hidden = lm.call_encoder(encoder_ids, encoder_mask)

    @tf.function(reduce_retracing=True)
    def next_token(decoder_ids):
        self_cache, cross_cache = initialize_seq2seq_cache(lm, encoder_ids, decoder_ids)
        logits, _, _, _ = lm.call_decoder_with_cache(
            encoder_hidden, encoder_mask, decoder_ids, self_cache, 0, cross_cache, 0)
        return tf.argmax(logits[:, -1, :], axis=-1, output_type=tf.int32)

    decoder_ids = np.full((batch, 1), config.start_token_id, dtype=np.int32)
    finished = np.zeros(batch, dtype=bool)
    while decoder_ids.shape[1] < max_length and not finished.all():
        token = next_token(tf.constant(decoder_ids)).numpy()
        token = np.where(finished, config.pad_token_id, token)
        finished |= token == config.stop_token_id
        decoder_ids = np.concatenate([decoder_ids, token[:, None]], axis=1)
    return decoder_ids


def decode_tokens(ids: Sequence[int], vocab: Vocab) -> str:
    """HF-pipeline text: [CLS]/[SEP]/[PAD] dropped, sentinels kept, tokens spaced, ## glued."""
    tokens = [vocab.lines[i] for i in ids if vocab.lines[i] not in DROPPED_TOKENS]
    return " ".join(tokens).replace(" ##", "").strip()


class Text2Text:
    """A loaded seq2seq model with its tokenizer: `generate(texts)` returns texts."""

    def __init__(self, lm, config: Seq2SeqConfig, vocab_file: str, do_lower_case: bool = True,
                 max_source_length: int = 512):
        from clue_tf.tokenization.bert_tokenizer import BertTokenizer

        self.lm, self.config = lm, config
        self.vocab = load_vocab(vocab_file)
        self.tokenizer = BertTokenizer(vocabulary=self.vocab, do_lower_case=do_lower_case, keep_special_tokens=True)
        self.max_source_length = max_source_length

    def source_ids(self, text: str) -> list[int]:
        ids = [int(i) for i in self.tokenizer(text)][: self.max_source_length - 2]
        return [self.vocab.ids["[CLS]"], *ids, self.vocab.ids["[SEP]"]]

    def generate(self, texts: Sequence[str], max_length: int = 50, num_beams: int = 1,
                 batch_size: Optional[int] = 16) -> list[str]:
        outputs = []
        batch_size = batch_size or len(texts)
        for start in range(0, len(texts), batch_size):
            sources = [self.source_ids(t) for t in texts[start: start + batch_size]]
            for ids in generate_ids(self.lm, self.config, sources, max_length, num_beams):
                outputs.append(decode_tokens(ids, self.vocab))
        return outputs
