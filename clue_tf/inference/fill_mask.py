"""Masked-token prediction with a model's MLM head, in the shape of HF's fill-mask pipeline."""

import numpy as np

from clue_tf.errors import ClueTfError
from clue_tf.tokenization.full_tokenizer import FullTokenizer


def fill_mask(loaded, text: str, top_k: int = 5, max_seq_length: int = 512, do_lower_case: bool = True) -> list:
    """For each [MASK] in `text`: the `top_k` candidates as dicts with `score`, `token`,
    `token_str` and `sequence` (the text with that candidate filled in, as HF's fill-mask
    pipeline writes it). `loaded` is a checkpoints.folders.LoadedModel with a
    masked-LM head; one whose head was not in its checkpoint is refused."""
    loaded.require_heads(("masked_lm",), "fill masks")
    model = loaded.model
    tokenizer = FullTokenizer(loaded.vocab, do_lower_case=do_lower_case, keep_special_tokens=True,
                              special_tokens=["[MASK]"])
    tokens = ["[CLS]", *tokenizer.tokenize(text)[: max_seq_length - 2], "[SEP]"]
    positions = [i for i, token in enumerate(tokens) if token == "[MASK]"]
    if not positions:
        raise ClueTfError("the text has no [MASK]")
    ids = np.array([tokenizer.convert_tokens_to_ids(tokens)], np.int32)
    logits = np.asarray(model({
        "token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids),
        "masked_lm_positions": np.array([positions], np.int32),
    })["masked_lm_logits"])[0]
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    results = []
    single = len(positions) == 1
    for slot, position in enumerate(positions):
        best = np.argsort(-probabilities[slot])[:top_k]
        candidates = []
        for token_id in best:
            token = tokenizer.vocab.lines[token_id]
            filled = list(tokens)
            filled[position] = token
            candidates.append({"score": float(probabilities[slot, token_id]), "token": int(token_id),
                               "token_str": token, "sequence": _decode(filled, skip_special=single)})
        results.append(candidates)
    return results


# BERT's special tokens, which HF's decode(skip_special_tokens=True) leaves out.
SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")


def _decode(tokens: list[str], skip_special: bool) -> str:
    """Tokens joined by spaces with `##` pieces glued on, as HF's fill-mask pipeline writes
    `sequence`: special tokens left out for one [MASK], kept (the other masks, [CLS], [SEP])
    for several."""
    words: list[str] = []
    for token in tokens:
        if skip_special and token in SPECIAL_TOKENS:
            continue
        if token.startswith("##") and words:
            words[-1] += token[2:]
        else:
            words.append(token)
    return " ".join(words)
