"""What every genfin estimator shares: saving, loading, device and fitted-state checks."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import numpy as np
import torch
from sklearn.base import BaseEstimator

from genfin.data.scaling import scaler_from_dict
from genfin.exceptions import ModelFileError
from genfin.io import SavedModel, write_model_folder
from genfin.models._params import Rule, check_params, parameter_error


def _json_safe(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A settings dataclass (GANTricks) is saved as a dict of its fields; its estimator rebuilds it.
        return {k: _json_safe(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.random.Generator):
        # A generator object has no faithful JSON form; saving a fitted model does not need it.
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


class TorchEstimator(BaseEstimator):
    """Base class of the estimators that own a torch module (``module_``).

    Subclasses list the JSON-safe fitted attributes to save in ``_saved_attributes`` and rebuild
    their module in ``_build_module``; ``save`` and ``genfin.load`` do the rest.
    """

    _saved_attributes: ClassVar[tuple[str, ...]] = ()
    #: The rule of each hyperparameter that can be checked on its own, enforced by ``_check_params``.
    _PARAMETER_RULES: ClassVar[dict[str, Rule]] = {}

    def save(self, folder: str | Path) -> Path:
        """Save the fitted model to ``folder`` (weights as safetensors, the rest as JSON).

        Returns
        -------
        Path
            The folder, for chaining and messages.
        """
        from genfin.models._validation import check_is_fitted

        check_is_fitted(self)
        params = {name: _json_safe(value) for name, value in self.get_params(deep=False).items()}
        state = {name: _json_safe(getattr(self, name)) for name in self._saved_attributes}
        state.update(self._extra_saved_state())
        tensors = {f"module.{k}": v for k, v in self.module_.state_dict().items()}
        return write_model_folder(
            folder, class_name=type(self).__name__, params=params, state=state, tensors=tensors
        )

    def _check_params(self) -> Any:
        """Check the hyperparameters against ``_PARAMETER_RULES`` before any work.

        Subclasses add the conditions that tie hyperparameters together, and may return what they
        derive from them (``GAN`` returns its ``GANTricks``).
        """
        check_params(self, self._PARAMETER_RULES)

    def _reject(self, name: str, rule: str) -> NoReturn:
        """Raise the error of a hyperparameter that breaks ``rule``, naming the estimator and the value.

        For conditions that a rule of ``genfin.models._params`` cannot state, such as one that ties two
        hyperparameters together.
        """
        raise parameter_error(self, name, rule)

    #: Parameters that do not change what training computes: a checkpoint made with other values resumes.
    _RUN_INDEPENDENT_PARAMS: ClassVar[tuple[str, ...]] = ("verbose", "checkpoint_dir", "device", "n_threads")

    def _run_fingerprint(self, *parts: torch.Tensor | np.ndarray | None, **extra: Any) -> dict[str, Any]:
        """Describe a training run (hyperparameters and data) so a checkpoint of another run is refused."""
        params = {k: v for k, v in self.get_params().items() if k not in self._RUN_INDEPENDENT_PARAMS}
        digest = hashlib.sha256()
        n_rows = 0
        for part in parts:
            if part is None:
                continue
            array = part.cpu().numpy() if isinstance(part, torch.Tensor) else np.asarray(part)
            n_rows += int(array.shape[0])
            # Every 1000th row: cheap on large data, and enough to tell data sets apart.
            digest.update(np.ascontiguousarray(array[:: max(1, array.shape[0] // 1000)]).tobytes())
        return {
            "params": repr(sorted(params.items())),
            "n_rows": n_rows,
            "data_sample_hash": digest.hexdigest(),
            **extra,
        }

    def _extra_saved_state(self) -> dict[str, Any]:
        """JSON-safe state beyond ``_saved_attributes``: here the fitted ``scaler_``, when there is one."""
        if not hasattr(self, "scaler_"):
            return {}
        return {"scaler": None if self.scaler_ is None else self.scaler_.to_dict()}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        """Inverse of ``_extra_saved_state``; also gives a saved ``image_shape_`` back its tuple form.

        JSON has no tuples, so a saved image shape comes back as a list.
        """
        if "scaler" in state:
            self.scaler_ = None if state["scaler"] is None else scaler_from_dict(state["scaler"])
        if getattr(self, "image_shape_", None) is not None:
            self.image_shape_ = tuple(int(s) for s in self.image_shape_)

    def _build_module(self) -> torch.nn.Module:
        """Build the untrained module from hyperparameters and fitted attributes."""
        raise NotImplementedError

    @classmethod
    def _from_saved(cls, saved: SavedModel) -> TorchEstimator:
        try:
            estimator = cls(**saved.params)
        except TypeError as exc:
            raise ModelFileError(f"the saved parameters do not fit {cls.__name__}: {exc}") from exc
        missing_state = [name for name in cls._saved_attributes if name not in saved.state]
        if missing_state:
            # The folder format is current, but the estimator stores more than it did then.
            raise ModelFileError(
                f"the saved {cls.__name__} (written by genfin {saved.genfin_version}) lacks "
                f"{', '.join(map(repr, missing_state))}, which this genfin's {cls.__name__} keeps: it was "
                "saved by an older layout of the model; fit it again and save it with this genfin"
            )
        for name in cls._saved_attributes:
            setattr(estimator, name, saved.state[name])
        estimator._restore_extra_state(saved.state)
        module = estimator._build_module()
        weights = {k.removeprefix("module."): v for k, v in saved.tensors.items()}
        expected = module.state_dict()
        missing = sorted(set(expected) - set(weights))
        unexpected = sorted(set(weights) - set(expected))
        wrong_shape = [k for k in expected if k in weights and weights[k].shape != expected[k].shape]
        if missing or unexpected or wrong_shape:
            raise ModelFileError(
                f"the weights do not fit the saved {cls.__name__} configuration "
                f"(missing {missing}, unexpected {unexpected}, wrong shape {wrong_shape})"
            )
        module.load_state_dict(weights)
        module.eval()
        estimator.module_ = module.to(estimator._device())
        return estimator

    def _device(self) -> torch.device:
        from genfin.training import resolve_device

        return resolve_device(self.device)
