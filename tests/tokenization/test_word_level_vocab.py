"""Word-level vocabularies (Zhuiyi's word RoFormer): jieba words first, then Google's
WordPiece for the rest, token for token as Zhuiyi's bert4keras tokenizer; the in-graph
tokenizer refuses such a vocab instead of splitting its words into characters."""

import json

import pytest

from clue_tf.errors import VocabError
from clue_tf.tokenization import FullTokenizer
from clue_tf.tokenization.word_segmentation import WORD_LEVEL_MIN_ENTRIES, is_word_entry, is_word_level
from tests.helpers import clue_texts, finish_oracle, shared_path, start_oracle
from tests.models.bert4keras_oracle import require_bert4keras


@pytest.fixture(scope="module")
def texts():
    """TNEWS' and AFQMC's dev texts (the first 1,500 distinct), with Latin, digits, accents."""
    found = clue_texts(shared_path("data/clue/tnews_public"))[:900] + clue_texts(shared_path("data/clue/afqmc_public"))[:600]
    return list(dict.fromkeys(found + ["Café RÉSUMÉ 2024年iPhone发布会", "北京大学的学生在北京大学读书", "  空格  与\t制表符 "]))


@pytest.fixture(scope="module")
def word_vocab(tmp_path_factory, texts):
    """Google's Chinese vocab plus the 3,000 commonest two-or-more-character jieba words of
    the corpus sample (Zhuiyi built theirs the same way, from their corpus)."""
    import collections

    import jieba

    corpus = shared_path("data/corpora/cluecorpussmall_bert_sampled.txt").read_text(encoding="utf-8")
    counts = collections.Counter(word for word in jieba.cut(corpus, HMM=False) if is_word_entry(word))
    google = shared_path("data/vocab/google_zh_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    words = [word for word, _ in counts.most_common(3000) if word not in set(google)]
    path = tmp_path_factory.mktemp("word_vocab") / "vocab.txt"
    path.write_text("\n".join(google + words) + "\n", encoding="utf-8")
    return path


def test_word_level_is_told_from_the_vocab_alone(word_vocab):
    google = shared_path("data/vocab/google_zh_vocab.txt").read_text(encoding="utf-8").split("\n")[:-1]
    assert not is_word_level(google)
    lines = word_vocab.read_text(encoding="utf-8").split("\n")[:-1]
    assert sum(map(is_word_entry, lines)) >= WORD_LEVEL_MIN_ENTRIES and is_word_level(lines)


@pytest.mark.parametrize("lower", [True, False])
def test_word_level_tokens_match_zhuiyis_bert4keras_tokenizer(word_vocab, texts, tmp_path, lower):
    require_bert4keras()
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    finish_oracle(start_oracle("bert4keras_tokenize.py", str(word_vocab), str(tmp_path / "texts.json"),
                               "1" if lower else "0", str(tmp_path / "out.json")), timeout=600)
    expected = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    tokenizer = FullTokenizer(str(word_vocab), do_lower_case=lower)
    assert tokenizer.word_level
    actual = [tokenizer.encode(text) for text in texts]
    mismatches = [(t, e, a) for t, e, a in zip(texts, expected, actual) if e != a]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ; first: {mismatches[:2]}"
    words = sum(1 for row in actual for token in tokenizer.convert_ids_to_tokens(row) if is_word_entry(token))
    assert words > len(texts)  # the words were used, not split into characters


def test_the_in_graph_tokenizer_refuses_a_word_level_vocab(word_vocab):
    from clue_tf.tokenization.bert_tokenizer import BertTokenizer

    with pytest.raises(VocabError, match=r"vocab.txt: a word-level vocab .* jieba words first"):
        BertTokenizer(str(word_vocab))


def test_run_classifier_reads_a_word_level_bundle_with_jieba_words(word_vocab, tmp_path):
    """run_classifier's default in-graph tokenizer cannot cut words, so the run uses the
    Python one by itself: the features hold the vocab's word ids, and it predicts."""
    import keras

    from clue_tf.checkpoints.folders import write
    from clue_tf.models.roformer.config import RoFormerConfig
    from clue_tf.models.roformer.family import ROFORMER
    from clue_tf.tasks.classifier import ClassifierRun, ClassifierSettings

    lines = word_vocab.read_text(encoding="utf-8").split("\n")[:-1]
    config = RoFormerConfig(vocab_size=len(lines), embedding_size=16, hidden_size=32, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=48, max_position_embeddings=64)
    keras.utils.set_random_seed(0)
    write(str(tmp_path / "bundle"), ROFORMER.build(config, ("classifier",), 15), ROFORMER, config, str(word_vocab))
    data = tmp_path / "tnews"
    data.mkdir()
    source = shared_path("data/clue/tnews_public")
    dev = (source / "dev.json").read_text(encoding="utf-8").split("\n")[:64]
    (data / "dev.json").write_text("\n".join(dev) + "\n", encoding="utf-8")
    (data / "labels.json").write_bytes((source / "labels.json").read_bytes())
    run = ClassifierRun(ClassifierSettings(task_name="tnews", data_dir=str(data), output_dir=str(tmp_path / "out"),
                                           bundle_dir=str(tmp_path / "bundle"), do_eval=True, max_seq_length=48))
    assert not run.tokenize_in_graph
    _, features = run._features("dev.json", True)
    google_size = len(shared_path("data/vocab/google_zh_vocab.txt").read_text(encoding="utf-8").split("\n")) - 1
    assert sum(1 for row in features.input_ids for i in row if i >= google_size) > 64  # word entries used
    assert run._probabilities(features, 16).shape == (64, 15)  # and it predicts from them
