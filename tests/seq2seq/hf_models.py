"""Small random HF transformers models (PyTorch) saved as UER-style model folders.

They are the independent reference for our T5 v1.1 and Pegasus: HF's
MT5ForConditionalGeneration (gated-gelu, untied head) and PegasusForConditionalGeneration
with UER's interleaved sinusoid table copied in, as UER's published weights carry it.
"""

from pathlib import Path

import numpy as np
import pytest

from clue_tf.models.pegasus.backbone import interleaved_sinusoid_table

SPECIAL = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CHARACTERS = list("中国的首都是北京上海天气很好我们在学习机器翻译文本生成模型数据")


def write_vocab(path: Path, sentinels: int = 10, spelling: str = "extra{}") -> list[str]:
    """A small BERT-style vocab: Google's first 104 entries, some characters, sentinels."""
    tokens = SPECIAL + CHARACTERS + [spelling.format(i) for i in range(sentinels)]
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return tokens


def require_hf():
    torch = pytest.importorskip("torch", reason="needs torch (test extra: local CPU torch==2.13.0)")
    transformers = pytest.importorskip("transformers", reason="needs transformers (test extra)")
    return torch, transformers


def perturb(model, torch, scale: float = 0.3, seed: int = 0) -> None:
    """Random-init models decode one token over and over; noise makes greedy output varied."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn(p.shape, generator=generator) * scale)


def hf_t5(model_dir: Path, vocab_size: int, d_model=32, layers=2, heads=4, d_kv=8, d_ff=48):
    """An HF MT5 (T5 v1.1) with UER's conventions, saved to `model_dir` with a vocab."""
    torch, transformers = require_hf()
    torch.manual_seed(0)
    config = transformers.MT5Config(
        vocab_size=vocab_size, d_model=d_model, d_kv=d_kv, d_ff=d_ff, num_layers=layers,
        num_decoder_layers=layers, num_heads=heads, feed_forward_proj="gated-gelu", dropout_rate=0.0,
        decoder_start_token_id=101, eos_token_id=102, pad_token_id=0)
    config.tie_word_embeddings = False  # transformers 5 forces True in __init__
    model = transformers.MT5ForConditionalGeneration(config).eval()
    # T5 v1.1: encoder and decoder share one embedding, the head is separate.
    model.encoder.set_input_embeddings(model.shared)
    model.decoder.set_input_embeddings(model.shared)
    assert model.encoder.embed_tokens.weight.data_ptr() == model.shared.weight.data_ptr()
    assert model.lm_head.weight.data_ptr() != model.shared.weight.data_ptr()
    perturb(model, torch)
    model.save_pretrained(model_dir)
    return model


def hf_pegasus(model_dir: Path, vocab_size: int, d_model=32, layers=2, heads=4, ffn=48, max_positions=64):
    """An HF Pegasus with UER's config and interleaved position table, saved to `model_dir`."""
    torch, transformers = require_hf()
    torch.manual_seed(0)
    config = transformers.PegasusConfig(
        vocab_size=vocab_size, d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn, max_position_embeddings=max_positions, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, activation_function="relu", scale_embedding=True,
        decoder_start_token_id=101, eos_token_id=102, forced_eos_token_id=102, pad_token_id=0)
    model = transformers.PegasusForConditionalGeneration(config).eval()
    perturb(model, torch)
    table = torch.from_numpy(interleaved_sinusoid_table(max_positions, d_model))
    with torch.no_grad():
        for stack in (model.model.encoder, model.model.decoder):
            stack.embed_positions.weight.copy_(table)
        model.final_logits_bias.copy_(torch.randn(model.final_logits_bias.shape) * 0.5)
    model.save_pretrained(model_dir)
    return model


def token_batch(vocab_size: int, batch=2, length=9, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """[CLS] random ids [SEP] with right padding on the second row."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(104, vocab_size, size=(batch, length)).astype(np.int32)
    mask = np.ones_like(ids)
    ids[:, 0] = 101
    ids[:, -1] = 102
    if batch > 1:
        ids[1, -3:] = [102, 0, 0]
        mask[1, -2:] = 0
    return ids, mask
