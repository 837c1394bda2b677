"""Whole jobs composed from the library's parts: the demo and the fraud report."""

from genfin.pipelines.data import read_images, read_transactions
from genfin.pipelines.fraud import FraudReport, run_fraud_report
from genfin.pipelines.latent import LatentReport, map_latent_codes

__all__ = [
    "FraudReport",
    "LatentReport",
    "map_latent_codes",
    "read_images",
    "read_transactions",
    "run_fraud_report",
]
