"""Exception types raised by the library; the CLI prints them as one line."""


class ClueTfError(Exception):
    """Base class: a problem with the user's input, described in one line."""


class VocabError(ClueTfError):
    """A vocabulary file is missing, unreadable or lacks a required token."""


class InputTextError(ClueTfError):
    """An input text file cannot be read as asked (e.g. a line is not UTF-8)."""
