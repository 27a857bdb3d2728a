"""T5 span-corruption and Pegasus gap-sentence pretraining through the same strategy-aware
loop as BERT: the loss falls, a resumed run continues at the saved step, and the exported
folder loads in HF transformers with the logits of the trained model."""

import json

import numpy as np
import pytest

from clue_tf.cli import run_command
from clue_tf.checkpoints.folders import load, locate
from tests.helpers import shared_path

TINY = {
    "t5": {"model_type": "mt5", "vocab_size": 21228, "d_model": 32, "num_layers": 2, "num_decoder_layers": 2,
           "num_heads": 2, "d_kv": 16, "d_ff": 64, "feed_forward_proj": "gated-gelu", "dropout_rate": 0.0,
           "decoder_start_token_id": 101, "eos_token_id": 102, "pad_token_id": 0},
    "pegasus": {"model_type": "pegasus", "vocab_size": 21228, "d_model": 32, "encoder_layers": 2,
                "decoder_layers": 2, "encoder_attention_heads": 2, "decoder_attention_heads": 2,
                "encoder_ffn_dim": 64, "decoder_ffn_dim": 64, "max_position_embeddings": 256,
                "dropout": 0.0, "activation_function": "relu", "scale_embedding": True,
                "decoder_start_token_id": 101, "eos_token_id": 102, "pad_token_id": 0},
}


def records_and_config(tmp_path, family: str, lines: int, lengths: list[str], *flags: str):
    """Records from the corpus sample's first `lines` lines, and the tiny config: (records, config, vocab)."""
    vocab = shared_path("data/vocab/google_zh_with_sentinel_vocab.txt")
    text = shared_path("data/corpora/cluecorpussmall_bert_sampled.txt").read_text(encoding="utf-8").splitlines()
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(text[:lines]) + "\n", encoding="utf-8")
    records = tmp_path / "data.tfrecord"
    assert run_command("create_pretraining_data", [
        f"--input_file={corpus}", f"--output_file={records}", f"--vocab_file={vocab}",
        f"--model_family={family}", *lengths, *flags]) == 0
    config = tmp_path / "config.json"
    config.write_text(json.dumps(TINY[family]), encoding="utf-8")
    return records, config, vocab


# Pegasus (~30 s) is slow: T5 shows the seq2seq objective trains, resumes and exports in the default run
@pytest.mark.parametrize("family", ["t5", pytest.param("pegasus", marks=pytest.mark.slow)])
def test_seq2seq_pretraining_trains_resumes_and_exports(family, tmp_path):
    lengths = ["--max_seq_length=128", "--max_target_length=64"]
    records, config, vocab = records_and_config(tmp_path, family, 600, lengths)
    out = tmp_path / "run"
    common = [f"--model_family={family}", f"--input_file={records}", f"--output_dir={out}",
              f"--bert_config_file={config}", f"--vocab_file={vocab}", *lengths, "--train_batch_size=8",
              "--learning_rate=3e-3", "--num_warmup_steps=5", "--save_checkpoints_steps=20",
              "--iterations_per_loop=10", "--do_train=true", "--do_eval=true", "--max_eval_steps=3"]
    assert run_command("run_pretraining", common + ["--num_train_steps=20"]) == 0
    first = _eval_loss(out)
    assert run_command("run_pretraining", common + ["--num_train_steps=60"]) == 0  # resumes at 20
    results = (out / "eval_results.txt").read_text()
    assert "global_step = 60" in results
    assert _eval_loss(out) < first - 0.3 and first < 10.5  # starts near ln(21228) = 9.96, then falls

    exported = load(locate(str(out / "bundle")))
    assert exported.config.family == family
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    reference = transformers.AutoModelForSeq2SeqLM.from_pretrained(str(out / "bundle")).eval()
    ids = np.array([[101, 704, 1744, 4638, 102]], dtype=np.int32)
    decoder_ids = np.array([[101, 21128, 704]], dtype=np.int32)
    with torch.no_grad():
        expected = reference(input_ids=torch.tensor(ids).long(),
                             decoder_input_ids=torch.tensor(decoder_ids).long()).logits.numpy()
    ours = np.asarray(exported.model({"encoder_token_ids": ids, "encoder_padding_mask": np.ones_like(ids),
                                   "decoder_token_ids": decoder_ids,
                                   "decoder_padding_mask": np.ones_like(decoder_ids)}))
    np.testing.assert_allclose(ours, expected, atol=1e-4)


def _eval_loss(out) -> float:
    for line in (out / "eval_results.txt").read_text().splitlines():
        if line.startswith("loss = "):
            return float(line.split("=")[1])
    raise AssertionError("no loss in eval_results.txt")
