"""Conversions between original bundles, Keras model files and keras-hub presets."""

import os
import shutil

import keras
import keras_hub

from clue_tf.checkpoints.bert_bundle import BundleFiles, load_bert_bundle, write_bert_bundle
from clue_tf.checkpoints.registry import registry_entry
from clue_tf.errors import ClueTfError, VocabError
from clue_tf.models.bert import BertEncoder
from clue_tf.models.bert_config import BertConfig
from clue_tf.tokenization.vocab import load_vocab


def encoder_config(encoder: BertEncoder) -> BertConfig:
    """The bert_config.json that describes `encoder`."""
    return BertConfig(
        vocab_size=encoder.vocabulary_size, hidden_size=encoder.hidden_dim,
        num_hidden_layers=encoder.num_layers, num_attention_heads=encoder.num_heads,
        intermediate_size=encoder.intermediate_dim, hidden_act=encoder.hidden_act,
        hidden_dropout_prob=encoder.dropout, attention_probs_dropout_prob=encoder.dropout,
        max_position_embeddings=encoder.max_sequence_length, type_vocab_size=encoder.num_segments,
        initializer_range=encoder.initializer_range)


def bundle_to_keras(files: BundleFiles, output_dir: str) -> str:
    """Writes OUTPUT_DIR/model.keras (the encoder) and vocab.txt; returns the model path."""
    loaded = load_bert_bundle(files)
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "model.keras")
    tmp = os.path.join(output_dir, ".model.keras.tmp.keras")
    loaded.model.save(tmp)
    os.replace(tmp, path)
    shutil.copyfile(files.vocab_file, os.path.join(output_dir, "vocab.txt"))
    return path


def keras_to_bundle(model_path: str, vocab_file: str, output_dir: str) -> None:
    """Writes an original bundle from a `.keras` file holding a BertEncoder."""
    encoder = keras.saving.load_model(model_path)
    if not isinstance(encoder, BertEncoder):
        raise ClueTfError(f"{model_path}: holds a {type(encoder).__name__}, not a BertEncoder")
    config = encoder_config(encoder)
    _check_vocab(vocab_file, config.vocab_size)
    write_bert_bundle(output_dir, encoder, config, vocab_file)


def bundle_to_keras_hub_preset(files: BundleFiles, output_dir: str) -> keras_hub.models.BertBackbone:
    """A keras-hub preset: keras-hub's own BertBackbone with the bundle's weights, and our
    Google-exact tokenizer, so `keras_hub.models.BertBackbone.from_preset(DIR)` works."""
    from clue_tf.tokenization.bert_tokenizer import BertTokenizer

    loaded = load_bert_bundle(files)
    encoder, config = loaded.model, loaded.config
    if config.hidden_act != "gelu":
        raise ClueTfError(f"{files.config_file}: keras-hub's BertBackbone has gelu only, not {config.hidden_act}")
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=config.vocab_size, num_layers=config.num_hidden_layers,
        num_heads=config.num_attention_heads, hidden_dim=config.hidden_size,
        intermediate_dim=config.intermediate_size, dropout=config.hidden_dropout_prob,
        max_sequence_length=config.max_position_embeddings, num_segments=config.type_vocab_size)
    ours = {w.path: w for w in encoder.weights}
    for weight in backbone.weights:
        weight.assign(ours[weight.path])
    backbone.save_to_preset(output_dir)
    BertTokenizer(loaded.vocab).save_to_preset(output_dir)
    return backbone


def bundle_from_registry(name: str, vocab_file: str, output_dir: str, seed: int = 12345):
    """A randomly initialised bundle of a registry model: BERT with MLM and NSP heads, or
    a T5 / Pegasus HF model folder."""
    entry = registry_entry(name)
    config = entry.config
    _check_vocab(vocab_file, config.vocab_size)
    keras.utils.set_random_seed(seed)
    if entry.family != "bert":
        from clue_tf.checkpoints.seq2seq_bundle import write_seq2seq_model
        from clue_tf.models.seq2seq import seq2seq_lm

        write_seq2seq_model(output_dir, seq2seq_lm(config), config, vocab_file)
        return config
    from clue_tf.models.bert_heads import bert_pretraining_model

    model = bert_pretraining_model(BertEncoder.from_bert_config(config))
    write_bert_bundle(output_dir, model, config, vocab_file)
    return config


def _check_vocab(vocab_file: str, vocab_size: int) -> None:
    lines = len(load_vocab(vocab_file))
    if lines != vocab_size:
        raise VocabError(f"{vocab_file}: {lines} lines, but the model has {vocab_size} embedding rows")
