"""Exception types raised by the library; the CLI prints them as one line."""


class ClueTfError(Exception):
    """Base class: a problem with the user's input, described in one line."""


class VocabError(ClueTfError):
    """A vocabulary file is missing, unreadable or lacks a required token."""


class InputTextError(ClueTfError):
    """An input text file cannot be read as asked (e.g. a line is not UTF-8)."""


class ConfigError(ClueTfError):
    """A model config file is missing, not JSON, or lacks a required field."""


class CheckpointError(ClueTfError):
    """A checkpoint is missing, truncated, or disagrees with the model it should fill."""


class OutputError(ClueTfError):
    """An output cannot be written (disk full, a file where a folder should be, ...)."""
