"""The tokenizer files transformers writes (`tokenizer.json`, `tokenizer_config.json`), read
as Google's WordPiece: the vocab in id order, and the casing, or one error where Google's
tokenizer cannot reproduce what they ask for."""

import json
import os
from typing import Optional

from clue_tf.errors import VocabError

TOKENIZER_JSON = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VocabError(f"{path}: cannot read it as JSON ({e})") from None


def wordpiece_tokens(tokenizer_json: str) -> list[str]:
    """The WordPiece vocab of an HF `tokenizer.json`, one token per id, as vocab.txt lists it."""
    model = _read_json(tokenizer_json).get("model") or {}
    if model.get("type") != "WordPiece":
        raise VocabError(f"{tokenizer_json}: a {model.get('type') or 'model-less'} tokenizer, not WordPiece; "
                         "BERT-family models need a WordPiece vocab")
    prefix = model.get("continuing_subword_prefix", "##")
    if prefix != "##":
        raise VocabError(f"{tokenizer_json}: WordPiece continuation prefix {prefix!r}; Google's tokenizer uses '##'")
    vocab = model.get("vocab") or {}
    tokens = sorted(vocab, key=vocab.get)
    if [vocab[t] for t in tokens] != list(range(len(tokens))):
        raise VocabError(f"{tokenizer_json}: the vocab's ids are not 0..{len(tokens) - 1} without gaps")
    if model.get("unk_token", "[UNK]") not in vocab:
        raise VocabError(f"{tokenizer_json}: the unknown token {model.get('unk_token')!r} is not in the vocab")
    return tokens


def _normalizer_settings(tokenizer_json: str) -> Optional[dict]:
    """tokenizer.json's BertNormalizer as tokenizer_config.json's names, or None without one."""
    normalizer = _read_json(tokenizer_json).get("normalizer")
    if not normalizer:
        return None
    if normalizer.get("type") != "BertNormalizer":
        raise VocabError(f"{tokenizer_json}: a {normalizer.get('type')} normalizer; Google's tokenizer only "
                         "reproduces BERT's (lower case, accents, Chinese characters)")
    return {"do_lower_case": normalizer.get("lowercase", True), "strip_accents": normalizer.get("strip_accents"),
            "tokenize_chinese_chars": normalizer.get("handle_chinese_chars", True)}


def _config_settings(tokenizer_config: str) -> Optional[dict]:
    values = _read_json(tokenizer_config)
    keys = ("do_lower_case", "strip_accents", "tokenize_chinese_chars")
    return {k: values[k] for k in keys if k in values} or None


def _as_google_case(settings: dict, where: str) -> bool:
    """Google's do_lower_case for HF's three switches, or an error naming the one it cannot do."""
    lower = bool(settings.get("do_lower_case", True))
    strip = settings.get("strip_accents")
    if not settings.get("tokenize_chinese_chars", True):
        raise VocabError(f"{where}: tokenize_chinese_chars=false, which Google's tokenizer cannot reproduce "
                         "(it always splits CJK characters)")
    if strip is not None and bool(strip) != lower:
        asked = "strips accents without lower-casing" if strip else "lower-cases without stripping accents"
        raise VocabError(f"{where}: strip_accents={str(strip).lower()} with do_lower_case={str(lower).lower()} "
                         f"{asked}, which Google's tokenizer cannot reproduce (do_lower_case does both or neither)")
    return lower


def folder_lower_case(folder: str) -> Optional[bool]:
    """The do_lower_case an HF folder's tokenizer files ask for; None when they say nothing.

    tokenizer.json's normalizer is what transformers runs; tokenizer_config.json is read when
    there is no tokenizer.json, and the two must agree when both speak."""
    json_path, config_path = os.path.join(folder, TOKENIZER_JSON), os.path.join(folder, TOKENIZER_CONFIG)
    from_json = _normalizer_settings(json_path) if os.path.exists(json_path) else None
    from_config = _config_settings(config_path) if os.path.exists(config_path) else None
    cases = {}
    if from_json is not None:
        cases[json_path] = _as_google_case(from_json, json_path)
    if from_config is not None:
        cases[config_path] = _as_google_case(from_config, config_path)
    if len(set(cases.values())) > 1:
        raise VocabError(f"{config_path}: do_lower_case={str(cases[config_path]).lower()}, but {json_path}'s "
                         f"normalizer says {str(cases[json_path]).lower()}; make them agree")
    return next(iter(cases.values()), None)
