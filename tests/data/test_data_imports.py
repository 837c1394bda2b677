from __future__ import annotations

import subprocess
import sys

import genfin.data


def test_data_layer_does_not_import_torch():
    code = "import sys, genfin.data; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names_are_exported():
    for name in [
        "CREDITCARD_FEATURES",
        "CREDITCARD_COLUMNS",
        "Transactions",
        "load_table",
        "load_creditcard",
        "fetch_creditcard",
        "make_transactions",
        "MinMaxScaler",
        "StandardScaler",
        "IdentityScaler",
        "make_scaler",
        "scaler_from_dict",
        "stratified_split",
        "time_ordered_split",
    ]:
        assert hasattr(genfin.data, name), name
    assert genfin.data.CREDITCARD_COLUMNS == ["Time", *genfin.data.CREDITCARD_FEATURES, "Class"]
    assert len(genfin.data.CREDITCARD_FEATURES) == 29
