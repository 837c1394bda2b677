"""Loading, validating, generating, scaling and splitting data; knows nothing of torch or models."""

from __future__ import annotations

from genfin.data.creditcard import CREDITCARD_COLUMNS, CREDITCARD_FEATURES, load_creditcard
from genfin.data.openml import DownloadError, fetch_creditcard
from genfin.data.scaling import IdentityScaler, MinMaxScaler, StandardScaler, make_scaler, scaler_from_dict
from genfin.data.splits import stratified_split, time_ordered_split
from genfin.data.synthetic import make_transactions
from genfin.data.tables import Transactions, load_table

__all__ = [
    "CREDITCARD_COLUMNS",
    "CREDITCARD_FEATURES",
    "DownloadError",
    "IdentityScaler",
    "MinMaxScaler",
    "StandardScaler",
    "Transactions",
    "fetch_creditcard",
    "load_creditcard",
    "load_table",
    "make_scaler",
    "make_transactions",
    "scaler_from_dict",
    "stratified_split",
    "time_ordered_split",
]
