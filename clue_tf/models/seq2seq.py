"""One entry point for the encoder-decoder families: a Keras seq2seq LM for a config."""

import keras_hub

from clue_tf.models.seq2seq_config import Seq2SeqConfig


def seq2seq_lm(config: Seq2SeqConfig, dtype=None) -> keras_hub.models.Seq2SeqLM:
    """A randomly initialised T5 v1.1 or Pegasus LM (token ids in, logits out)."""
    if config.family == "t5":
        from clue_tf.models.t5 import t5_seq2seq_lm

        return t5_seq2seq_lm(config, dtype)
    from clue_tf.models.pegasus import pegasus_seq2seq_lm

    return pegasus_seq2seq_lm(config, dtype)
