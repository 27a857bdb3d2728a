"""Fixtures for the CLUE task tests: a tiny random bundle and small task folders."""

import os

import keras
import pytest

from clue_tf.checkpoints.folders import write
from clue_tf.models.bert.family import BERT
from clue_tf.models.bert.backbone import BertEncoder
from clue_tf.models.bert.config import BertConfig
from tests.helpers import shared_path


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    vocab = shared_path("data/vocab/google_zh_vocab.txt")
    keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, type_vocab_size=2)
    path = tmp_path_factory.mktemp("bundle") / "tiny"
    write(str(path), BertEncoder.from_bert_config(config), BERT, config, str(vocab))
    return path


def task_dir(tmp_path, task_name):
    """The task's folder; IFLYTEK and CMNLI have no train set here: split their dev file."""
    source = shared_path(f"data/clue/{task_name}_public")
    target = tmp_path / f"{task_name}_public"
    target.mkdir()
    for name in os.listdir(source):
        if name.startswith("test") or name == "labels.json":
            os.symlink(source / name, target / name)
    lines = (source / "dev.json").read_text(encoding="utf-8").splitlines(keepends=True)
    train = (source / "train.json").read_text(encoding="utf-8").splitlines(keepends=True)[:300] \
        if (source / "train.json").exists() else lines[:300]
    (target / "train.json").write_text("".join(train), encoding="utf-8")
    (target / "dev.json").write_text("".join(lines[-300:]), encoding="utf-8")
    return target
