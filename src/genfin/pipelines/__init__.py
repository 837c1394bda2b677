"""Whole jobs composed from the library's parts: the demo, the fraud report, maps, augmentation, synthesis."""

from genfin.pipelines.augment import augment, conform_samples
from genfin.pipelines.data import read_images, read_transactions
from genfin.pipelines.fraud import FraudReport, run_fraud_report
from genfin.pipelines.latent import LatentReport, map_latent_codes
from genfin.pipelines.synth import synthesize, write_table

__all__ = [
    "FraudReport",
    "LatentReport",
    "augment",
    "conform_samples",
    "map_latent_codes",
    "read_images",
    "read_transactions",
    "run_fraud_report",
    "synthesize",
    "write_table",
]
