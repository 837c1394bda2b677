from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sklearn_trustworthiness

from genfin.exceptions import DataValidationError
from genfin.latent import knn_accuracy, knn_preservation, map_quality, neighbourhood_purity, trustworthiness

# Four points on a line, A=0, B=1, C=3, D=7, mapped to A=0, B=1, C=5, D=3.5 (no tied distances).
# Nearest neighbours, k=1:  high  A->B  B->A  C->B  D->C
#                           low   A->B  B->A  C->D  D->C
HIGH_LINE = np.array([[0.0], [1.0], [3.0], [7.0]])
LOW_LINE = np.array([[0.0], [1.0], [5.0], [3.5]])


def random_pair(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    high = rng.normal(size=(n, 6))
    low = high[:, :2] + 0.5 * rng.normal(size=(n, 2))
    return high, low


def test_identity_map_is_perfect():
    high, _ = random_pair()
    assert trustworthiness(high, high, k=10) == pytest.approx(1.0)
    assert knn_preservation(high, high, k=10) == 1.0


def test_hand_computed_line():
    # Only C's map neighbour D is an intruder: D is C's 3rd nearest in high-D, a penalty of 3 - k = 2.
    # T = 1 - 2 / (n k (2n - 3k - 1)) * 2 = 1 - 2 / (4 * 1 * 4) * 2 = 0.75.
    assert trustworthiness(HIGH_LINE, LOW_LINE, k=1) == pytest.approx(0.75)
    assert sklearn_trustworthiness(HIGH_LINE, LOW_LINE, n_neighbors=1) == pytest.approx(0.75)
    # Three of four nearest neighbours kept.
    assert knn_preservation(HIGH_LINE, LOW_LINE, k=1) == pytest.approx(0.75)


@pytest.mark.parametrize("k", [1, 5, 10, 40])
def test_trustworthiness_equals_sklearn_without_subsampling(k):
    high, low = random_pair()
    assert trustworthiness(high, low, k=k) == pytest.approx(sklearn_trustworthiness(high, low, n_neighbors=k))


def test_subsampled_trustworthiness_estimates_the_full_value_reproducibly():
    high, low = random_pair(n=600)
    full = trustworthiness(high, low, k=10, max_samples=None)
    estimate = trustworthiness(high, low, k=10, max_samples=200, random_state=0)
    assert estimate == pytest.approx(full, abs=0.03)
    assert estimate != full  # it really did subsample
    assert trustworthiness(high, low, k=10, max_samples=200, random_state=0) == estimate


def test_knn_preservation_matches_brute_force():
    high, low = random_pair()

    def neighbour_sets(points, k):
        distances = np.linalg.norm(points[:, None] - points[None], axis=2)
        np.fill_diagonal(distances, np.inf)
        return [set(row) for row in np.argsort(distances, axis=1)[:, :k]]

    expected = np.mean(
        [len(a & b) / 7 for a, b in zip(neighbour_sets(high, 7), neighbour_sets(low, 7), strict=True)]
    )
    assert knn_preservation(high, low, k=7) == pytest.approx(expected)


# Points at 0, 1, 2.5 (class 0, 0, 1) and 10, 11, 12.5 (class 1); k=1 neighbours:
# 0->1, 1->0, 2.5->1 (the class-1 point among class 0), 10->11, 11->10, 12.5->11.
LINE_POINTS = np.array([[0.0, 0], [1.0, 0], [2.5, 0], [10.0, 0], [11.0, 0], [12.5, 0]])
LINE_LABELS = np.array([0, 0, 1, 1, 1, 1])


def test_neighbourhood_purity_hand_computed():
    purity = neighbourhood_purity(LINE_POINTS, LINE_LABELS, k=1)
    assert purity == {0: 1.0, 1: 0.75}
    assert all(type(key) is int for key in purity)  # plain Python keys, JSON-ready


def test_neighbourhood_purity_with_string_labels():
    names = np.where(LINE_LABELS == 1, "fraud", "genuine")
    assert neighbourhood_purity(LINE_POINTS, names, k=1) == {"fraud": 0.75, "genuine": 1.0}


def test_knn_accuracy_hand_computed():
    assert knn_accuracy(LINE_POINTS, LINE_LABELS, k=1) == pytest.approx(5 / 6)


def test_knn_accuracy_breaks_ties_towards_the_nearest_neighbour():
    # k=2: points 0 and 1 each see one class-1 and one class-0 neighbour, the class-1 one nearer.
    # Point 3 sees two class-1 points and is misclassified. Ties to the smallest label would give 0/3.
    points = np.array([[0.0], [1.0], [3.0]])
    assert knn_accuracy(points, [1, 1, 0], k=2) == pytest.approx(2 / 3)


def test_duplicate_points_never_count_themselves_as_neighbours():
    points = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0]])
    # Each point's only neighbour at k=1 is its twin, which carries the other label.
    assert neighbourhood_purity(points, [0, 1, 1, 0], k=1) == {0: 0.0, 1: 0.0}


def test_map_quality_combines_the_measures():
    high, low = random_pair()
    labels = (high[:, 0] > 0).astype(int)
    quality = map_quality(high, low, labels, k=10)
    assert quality["n"] == 200 and quality["k"] == 10
    assert quality["trustworthiness"] == pytest.approx(trustworthiness(high, low, k=10))
    assert quality["knn_preservation"] == pytest.approx(knn_preservation(high, low, k=10))
    assert quality["knn_accuracy"] == pytest.approx(knn_accuracy(low, labels, k=10))
    assert set(quality["neighbourhood_purity"]) == {0, 1}
    assert "knn_accuracy" not in map_quality(high, low, k=10)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda hi, lo: trustworthiness(hi, lo[:-1]), DataValidationError, r"200 rows.*199"),
        (lambda hi, lo: trustworthiness(hi[:, 0], lo), DataValidationError, r"2-D.*\(200,\)"),
        (lambda hi, lo: trustworthiness(hi, lo, k=100), ValueError, "k < n / 2"),
        (lambda hi, lo: trustworthiness(hi, lo, max_samples=0), ValueError, "max_samples"),
        (lambda hi, lo: knn_preservation(hi, lo, k=0), ValueError, "1 <= k < n"),
        (lambda hi, lo: knn_preservation(hi, lo, k=200), ValueError, "1 <= k < n"),
        (lambda hi, lo: knn_accuracy(lo, np.zeros(5)), DataValidationError, r"\(200,\).*\(5,\)"),
        (lambda hi, lo: neighbourhood_purity(lo, np.full(200, np.nan)), DataValidationError, "NaN"),
    ],
)
def test_bad_input_is_refused(call, error, match):
    high, low = random_pair()
    with pytest.raises(error, match=match):
        call(high, low)


def test_non_finite_map_names_the_row():
    high, low = random_pair()
    low[42, 1] = np.inf
    with pytest.raises(DataValidationError, match=r"low\[42, 1\]") as caught:
        knn_preservation(high, low)
    assert caught.value.row == 43
