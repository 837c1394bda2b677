"""The one training loop, its callbacks and tasks, device, seeding and state helpers, and the GAN tricks."""

from genfin.training.aae_task import AAETask
from genfin.training.callbacks import Checkpoint, EarlyStopping, ProgressBar, load_task_state, task_state
from genfin.training.classification_task import ClassificationTask
from genfin.training.collapse import CollapseDetector, GANCollapseWarning
from genfin.training.collapse_guard import CollapseGuard
from genfin.training.device import make_generators, resolve_device, seeded, torch_threads
from genfin.training.gan_task import GANTask
from genfin.training.gan_tricks import GANTricks
from genfin.training.keep_best import KeepBest
from genfin.training.loop import Callback, Trainer, TrainingDivergedError, TrainingTask
from genfin.training.reconstruction_task import ReconstructionTask, TrimWorstRows
from genfin.training.sgan_task import SGANTask
from genfin.training.snapshots import SampleSnapshots
from genfin.training.state import load_state, save_state
from genfin.training.vae_task import VAETask

__all__ = [
    "AAETask",
    "Callback",
    "Checkpoint",
    "ClassificationTask",
    "CollapseDetector",
    "CollapseGuard",
    "EarlyStopping",
    "GANCollapseWarning",
    "GANTask",
    "GANTricks",
    "KeepBest",
    "ProgressBar",
    "ReconstructionTask",
    "SGANTask",
    "SampleSnapshots",
    "Trainer",
    "TrainingDivergedError",
    "TrainingTask",
    "TrimWorstRows",
    "VAETask",
    "load_state",
    "load_task_state",
    "make_generators",
    "resolve_device",
    "save_state",
    "seeded",
    "task_state",
    "torch_threads",
]
