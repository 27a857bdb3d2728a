"""Loading `vocab.txt` exactly as Google BERT's `load_vocab` does."""

import logging
import os
import re
from dataclasses import dataclass, field

from clue_tf.errors import VocabError

REQUIRED_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

# T5 sentinels: the Hub vocab spells them `extraN`, UER's repo vocab `<extra_id_N>`.
SENTINEL_PATTERN = re.compile(r"extra\d+|<extra_id_\d+>")
BRACKETED_PATTERN = re.compile(r"\[[^\[\]\s]+\]")

logger = logging.getLogger(__name__)


@dataclass
class Vocab:
    """A WordPiece vocabulary: token -> id by line order, and the lines themselves.

    `lines[i]` is the stripped text of line i (so `len(lines)` is the embedding size a
    checkpoint trained with this file has). `ids` maps each token to its id; a token
    that appears twice keeps its later line, as in Google's original `load_vocab`.
    """

    path: str
    lines: list[str]
    ids: dict[str, int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.lines)

    def token_to_id(self, token: str) -> int:
        return self.ids[token]

    def id_to_token(self, token_id: int) -> str:
        return self.lines[token_id]

    def special_tokens(self) -> list[str]:
        """Tokens a user may write in text to mean themselves: [MASK], [SEP], extra0, ..."""
        return [
            token
            for token in self.ids
            if BRACKETED_PATTERN.fullmatch(token) or SENTINEL_PATTERN.fullmatch(token)
        ]


def load_vocab(path: str, required: tuple[str, ...] = REQUIRED_TOKENS) -> Vocab:
    """Reads a vocab file: one token per line, each line stripped, ids by line number."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw_lines = f.read().split(b"\n")
    except OSError as e:
        raise VocabError(f"{path}: cannot read vocab file ({e.strerror})") from None
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the file's final newline ends the last line, it adds none
    lines = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            lines.append(raw.decode("utf-8").strip())
        except UnicodeDecodeError:
            raise VocabError(f"{path}:{number}: vocab line is not valid UTF-8") from None
    ids: dict[str, int] = {}
    for index, token in enumerate(lines):
        if token in ids:
            logger.warning(
                "%s: token %r on line %d repeats line %d; the later line's id is used",
                path, token, index + 1, ids[token] + 1,
            )
        ids[token] = index
    missing = [token for token in required if token not in ids]
    if missing:
        raise VocabError(f"{path}: vocab lacks required token(s) {', '.join(missing)}")
    return Vocab(path=path, lines=lines, ids=ids)
