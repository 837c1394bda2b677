"""Exceptions shared by every layer of genfin.

Each error names what is wrong and where (file, column, row, shape), so that the command line can
print it as one line and a user knows what to fix without reading a traceback.
"""

from __future__ import annotations


class GenfinError(Exception):
    """Base class of every error genfin raises on purpose."""


class DataValidationError(GenfinError, ValueError):
    """Input data that genfin refuses before doing any work.

    Parameters
    ----------
    message
        What is wrong, in words a user can act on.
    source
        Where the data came from: a file path, or a description such as ``"X"``.
    column
        The offending column, when there is one.
    row
        The first offending row, counted as the user sees it (data rows from 1, header excluded).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.source = source
        self.column = column
        self.row = row
        where = [
            part
            for part in (
                f"{source}" if source else None,
                f"column {column!r}" if column is not None else None,
                f"row {row}" if row is not None else None,
            )
            if part
        ]
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class NotFittedError(GenfinError, ValueError, AttributeError):
    """A method that needs a fitted object was called before ``fit``.

    A ``ValueError`` and an ``AttributeError``, as scikit-learn's ``NotFittedError`` is; the
    estimators raise a subclass that is scikit-learn's too.
    """


class DownloadError(GenfinError, OSError):
    """A data set could not be downloaded, or is not cached and downloading was not allowed."""


class ModelFileError(GenfinError, ValueError):
    """A saved model folder that is missing, corrupt, or from an incompatible format version."""
