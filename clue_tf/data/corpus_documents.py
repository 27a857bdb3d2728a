"""Documents of one raw-text file, streamed: the unit both pretraining-data paths work on.

Two layouts (`--input_format`):
- `sentences` (Google's): one sentence per line, a blank line between documents.
- `documents`: one document per line, cut into sentences after 。！？!? (and a closing
  quote that follows them), which is what next-sentence pairs and gap sentences need.
A line that is not UTF-8 is an error naming the file and line.
"""

import re
from typing import Iterator

from clue_tf.io.inputs import read_lines

INPUT_FORMATS = ("sentences", "documents")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])(?![」』”’\"'）)])|(?<=[。！？!?][」』”’\"'）)])")


def split_sentences(text: str) -> list[str]:
    """A document line cut after sentence-final punctuation; empty pieces dropped."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip()]


def read_file_documents(path: str, input_format: str = "sentences") -> Iterator[list[str]]:
    """The file's non-empty documents, each a list of stripped, non-empty sentences."""
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"input_format must be one of {INPUT_FORMATS}, got {input_format!r}")
    advice = "save the file as UTF-8 or leave it out of --input_file"
    if input_format == "documents":
        for line in read_lines(path, advice=advice):
            sentences = split_sentences(line)
            if sentences:
                yield sentences
        return
    document: list[str] = []
    for line in read_lines(path, advice=advice):
        line = line.strip()
        if line:
            document.append(line)
        elif document:
            yield document
            document = []
    if document:
        yield document
