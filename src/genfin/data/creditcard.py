"""The ULB credit card fraud data set (Kaggle ``creditcard.csv``, OpenML data id 1597).

284,807 card transactions made by European cardholders over two days in September 2013, 492 of them
frauds. ``V1``..``V28`` are principal components of confidential features, ``Time`` is seconds since
the first transaction and ``Amount`` the transaction amount; ``Class`` is 1 for fraud.
"""

from __future__ import annotations

from os import PathLike

from genfin.data.tables import Transactions, load_table

#: The 29 model inputs used by the book: the principal components and the amount, without ``Time``.
CREDITCARD_FEATURES: list[str] = [f"V{i}" for i in range(1, 29)] + ["Amount"]

#: The columns of ``creditcard.csv``, in the file's order.
CREDITCARD_COLUMNS: list[str] = ["Time", *CREDITCARD_FEATURES, "Class"]


def load_creditcard(
    path: str | PathLike[str],
    *,
    include_time: bool = False,
    require_labels: bool = False,
) -> Transactions:
    """Load a file with the ``creditcard.csv`` schema (``.csv``, ``.csv.gz`` or ``.parquet``).

    The file must hold exactly the columns of :data:`CREDITCARD_COLUMNS` (in any order); ``Class`` may
    be left out, for unlabelled transactions, unless ``require_labels`` is true. Labels written as
    text, as the original file does (``"0"``/``"1"``), are read as integers.

    Parameters
    ----------
    path
        The file to read.
    include_time
        Put ``Time`` first among the features. It is always returned as ``Transactions.time``.
    require_labels
        Refuse a file without the ``Class`` column.

    Returns
    -------
    Transactions
        ``X`` with the columns of :data:`CREDITCARD_FEATURES` (``Time`` first if ``include_time``),
        ``y`` named ``"Class"`` (or ``None``), ``time`` in seconds.

    Raises
    ------
    DataValidationError
        For any problem :func:`~genfin.data.load_table` checks, naming file, column and row (data
        rows counted from 1 after the header).

    Examples
    --------
    >>> X, y = load_creditcard("creditcard.csv")  # doctest: +SKIP
    """
    features = (["Time"] if include_time else []) + CREDITCARD_FEATURES
    return load_table(
        path,
        label_column="Class",
        feature_columns=features,
        time_column="Time",
        require_labels=require_labels,
    )
