"""Where downloaded data sets are cached."""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path


def default_data_home(data_home: str | PathLike[str] | None = None) -> Path:
    """Return the folder where downloaded data sets are kept.

    Parameters
    ----------
    data_home
        A folder; if ``None``, the ``GENFIN_DATA`` environment variable, else ``~/.cache/genfin``.

    Returns
    -------
    pathlib.Path
        The folder (not created here).
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get("GENFIN_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "genfin"
