"""Loading, validating, generating, scaling and splitting data; knows nothing of torch or models."""

from __future__ import annotations

from genfin.data.creditcard import CREDITCARD_COLUMNS, CREDITCARD_FEATURES, load_creditcard
from genfin.data.mnist import ImageSet, fetch_mnist, images_to_unit, load_mnist, read_idx
from genfin.data.mnist_sample import load_mnist_sample
from genfin.data.openml import fetch_creditcard
from genfin.data.power_scaling import PowerScaler
from genfin.data.scaling import (
    IdentityScaler,
    MinMaxScaler,
    StandardScaler,
    make_scaler,
    scaler_from_dict,
)
from genfin.data.splits import stratified_split, time_ordered_split
from genfin.data.synthetic import make_transactions
from genfin.data.tables import Transactions, load_table
from genfin.exceptions import DownloadError

__all__ = [
    "CREDITCARD_COLUMNS",
    "CREDITCARD_FEATURES",
    "DownloadError",
    "IdentityScaler",
    "PowerScaler",
    "ImageSet",
    "MinMaxScaler",
    "StandardScaler",
    "Transactions",
    "fetch_creditcard",
    "fetch_mnist",
    "images_to_unit",
    "load_creditcard",
    "load_mnist",
    "load_mnist_sample",
    "load_table",
    "make_scaler",
    "make_transactions",
    "read_idx",
    "scaler_from_dict",
    "stratified_split",
    "time_ordered_split",
]
