"""One exception family. The CLI turns each into a one-line message and the exit code it carries."""


class ReportError(Exception):
    """Base class: a problem with the user's input, data or model that we can explain in one line."""

    exit_code = 1

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    def __str__(self):
        message = self.args[0] if self.args else ""
        if self.path is None:
            return message
        path = str(self.path)
        # Quoted and escaped when empty or holding a line break, a control character or bytes that
        # are not UTF-8: the message stays one line and says exactly which file.
        return f"{path if path and path.isprintable() else repr(path)}: {message}"


class InputError(ReportError):
    """The file cannot be read as a report: missing, empty, binary, unsupported, too large."""

    exit_code = 2


class DataError(ReportError):
    """A packaged data file (lexicon, taxonomy, codebook) is malformed."""

    exit_code = 3


class ModelError(ReportError):
    """A model file is missing, malformed, tampered with or from an incompatible version."""

    exit_code = 3


class StoreError(ReportError):
    """The store cannot be opened or written (locked, read-only, full disk)."""

    exit_code = 4
