"""The one training loop, its callbacks, and device, seeding and state helpers."""

from genfin.training.callbacks import Checkpoint, EarlyStopping, ProgressBar, load_task_state, task_state
from genfin.training.device import make_generators, resolve_device, seeded, torch_threads
from genfin.training.loop import Callback, Trainer, TrainingDivergedError, TrainingTask
from genfin.training.state import load_state, save_state

__all__ = [
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "ProgressBar",
    "Trainer",
    "TrainingDivergedError",
    "TrainingTask",
    "load_state",
    "load_task_state",
    "make_generators",
    "resolve_device",
    "save_state",
    "seeded",
    "task_state",
    "torch_threads",
]
