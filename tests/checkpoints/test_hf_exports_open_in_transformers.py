"""Our HF exports as transformers users open them: AutoModel classes load every weight with no
unexpected or missing key, and AutoTokenizer picks the WordPiece tokenizer clue-tf uses."""

import json

import keras
import numpy as np
import pytest

from clue_tf.checkpoints.folders import write
from clue_tf.models.albert.config import AlbertConfig
from clue_tf.models.albert.family import ALBERT
from clue_tf.models.bert.config import BertConfig
from clue_tf.models.bert.family import BERT
from clue_tf.tokenization.vocab import load_vocab
from tests.checkpoints import hf_bert
from tests.models.hf_encoders import VOCAB, write_vocab

BERT_CONFIG = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         intermediate_size=64, max_position_embeddings=64, type_vocab_size=2)


def exported(tmp_path, family, config, heads, num_labels=None):
    keras.utils.set_random_seed(0)
    vocab = write_vocab(tmp_path)
    write(str(tmp_path / "hf"), family.build(config, heads, num_labels), family, config, str(vocab), "hf")
    return tmp_path / "hf"


@pytest.mark.parametrize("heads, auto, architecture", [
    (("masked_lm", "next_sentence"), "AutoModelForPreTraining", "BertForPreTraining"),
    (("masked_lm",), "AutoModelForMaskedLM", "BertForMaskedLM"),
    ((), "AutoModel", "BertModel"),
])
def test_bert_export_names_the_class_its_heads_make(tmp_path, heads, auto, architecture):
    _, transformers = hf_bert.require_hf()
    folder = exported(tmp_path, BERT, BERT_CONFIG, heads)
    assert json.loads((folder / "config.json").read_text())["architectures"] == [architecture]
    model, info = getattr(transformers, auto).from_pretrained(str(folder), output_loading_info=True)
    assert type(model).__name__ == architecture and not info["missing_keys"], info
    # BertForMaskedLM has no pooler: no HF class holds a pooler and an MLM head without NSP
    pooler = {"bert.pooler.dense.weight", "bert.pooler.dense.bias"} if heads == ("masked_lm",) else set()
    assert set(info["unexpected_keys"]) == pooler, info


def test_classifier_export_carries_its_label_count(tmp_path):
    _, transformers = hf_bert.require_hf()
    folder = exported(tmp_path, BERT, BERT_CONFIG, ("classifier",), num_labels=15)
    model, info = transformers.AutoModelForSequenceClassification.from_pretrained(str(folder),
                                                                                  output_loading_info=True)
    assert model.config.num_labels == 15 and not info["missing_keys"] and not info["unexpected_keys"]


def test_albert_export_opens_with_the_wordpiece_tokenizer(tmp_path):
    """Without tokenizer_config.json AutoTokenizer picks ALBERT's SentencePiece tokenizer."""
    _, transformers = hf_bert.require_hf()
    config = AlbertConfig(vocab_size=len(VOCAB), embedding_size=16, hidden_size=32, num_hidden_layers=2,
                          num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)
    folder = exported(tmp_path, ALBERT, config, ("masked_lm",))
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
    assert "Bert" in type(tokenizer).__name__
    vocab = load_vocab(str(folder / "vocab.txt"))
    assert tokenizer("中国的首都")["input_ids"] == [vocab.ids[t] for t in ["[CLS]", "中", "国", "的", "首", "都", "[SEP]"]]
    model, info = transformers.AutoModelForMaskedLM.from_pretrained(str(folder), output_loading_info=True)
    assert type(model).__name__ == "AlbertForMaskedLM" and not info["missing_keys"]
    assert set(info["unexpected_keys"]) <= {"albert.pooler.weight", "albert.pooler.bias"}  # no pooler in that class


def test_a_cased_vocab_is_written_cased(tmp_path):
    from clue_tf.checkpoints.formats import hf_tokenizer_config

    (tmp_path / "vocab.txt").write_text("".join(t + "\n" for t in [*VOCAB, "The", "##ing"]), encoding="utf-8")
    assert hf_tokenizer_config(BERT, BERT_CONFIG, str(tmp_path / "vocab.txt"))["do_lower_case"] is False
    assert hf_tokenizer_config(BERT, BERT_CONFIG, str(write_vocab(tmp_path)))["do_lower_case"] is True
    assert np.isscalar(hf_tokenizer_config(BERT, BERT_CONFIG, str(tmp_path / "vocab.txt"))["model_max_length"])
