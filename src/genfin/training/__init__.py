"""The one training loop, its callbacks, device, seeding and state helpers, and the GAN training tricks."""

from genfin.training.callbacks import Checkpoint, EarlyStopping, ProgressBar, load_task_state, task_state
from genfin.training.collapse import CollapseDetector, GANCollapseWarning
from genfin.training.collapse_guard import CollapseGuard
from genfin.training.device import make_generators, resolve_device, seeded, torch_threads
from genfin.training.gan_task import GANTask
from genfin.training.gan_tricks import GANTricks
from genfin.training.keep_best import KeepBest
from genfin.training.loop import Callback, Trainer, TrainingDivergedError, TrainingTask
from genfin.training.sgan_task import SGANTask
from genfin.training.snapshots import SampleSnapshots
from genfin.training.state import load_state, save_state

__all__ = [
    "Callback",
    "Checkpoint",
    "CollapseDetector",
    "CollapseGuard",
    "EarlyStopping",
    "GANCollapseWarning",
    "GANTask",
    "GANTricks",
    "KeepBest",
    "ProgressBar",
    "SGANTask",
    "SampleSnapshots",
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
