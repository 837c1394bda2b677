"""The saved-model folder format: weights as safetensors, everything else as JSON, never pickle.

This module knows the format, not the models: an estimator hands it JSON-safe parameters and state
plus a dict of tensors, and ``genfin.load`` (in :mod:`genfin.models.registry`) turns a folder back into
the right estimator.
"""

from genfin.io.folder import FORMAT_VERSION, SavedModel, read_model_folder, write_model_folder

__all__ = ["FORMAT_VERSION", "SavedModel", "read_model_folder", "write_model_folder"]
