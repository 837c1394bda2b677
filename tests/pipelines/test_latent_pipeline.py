from __future__ import annotations

import numpy as np

from genfin.pipelines.latent import _rows_to_map, map_latent_codes, quality_table


def test_subsample_keeps_every_row_of_the_rare_class():
    labels = np.r_[np.zeros(5000, dtype=int), np.ones(40, dtype=int)]
    rows = _rows_to_map(len(labels), labels, 500, seed=0)
    assert len(rows) == 500 and labels[rows].sum() == 40
    assert np.array_equal(rows, np.sort(np.unique(rows)))


def test_map_of_separated_classes_is_pure():
    rng = np.random.default_rng(0)
    codes = np.vstack([rng.normal(size=(300, 6)), rng.normal(size=(30, 6)) + 8])
    labels = np.r_[np.zeros(300, dtype=int), np.ones(30, dtype=int)]
    mapped = map_latent_codes(codes, labels, method="pca", random_state=0)
    table = quality_table(mapped.quality, {0: "genuine", 1: "fraud"})
    assert table["neighbourhood purity: fraud"] > 0.9
    assert mapped.figure.axes
