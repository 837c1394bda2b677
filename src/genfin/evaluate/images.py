"""Quality of generated images, judged by a small MNIST classifier that genfin trains itself.

The usual yardstick of generated images, the Frechet Inception Distance (FID), compares features of
an ImageNet network. For 28 x 28 grey digits that network is a poor judge (it was trained on colour
photographs, at 299 x 299 pixels) and a heavy download, so genfin uses a classifier of its own:
:class:`~genfin.models.ImageClassifier` trained on MNIST with fixed settings and seed
(:func:`~genfin.evaluate.mnist_classifier.load_mnist_classifier`, built by
``bench/build_mnist_classifier.py``; 99.25% test accuracy). Its 128-unit feature layer plays the
part of Inception's pooling layer. The values are therefore comparable with each other, not with
FID values published for other networks.

What each number tells (see :data:`IMAGE_QUALITY_METRICS` for goals and bounds):

- :func:`fid`: the Frechet distance between the features of real and generated images; 0 when
  their feature means and covariances agree. It sees both quality and variety.
- :func:`class_coverage`: the share of the classes that the generated images are predicted as
  often enough; a collapsed generator that draws one digit covers 1/10.
- :func:`predicted_class_entropy`: how evenly the predicted classes are spread, 0 (one class) to 1
  (all equally often).
- :func:`classifier_score`: the Inception-score construction on this classifier: high when each
  image is confidently one class and the classes vary.
- :func:`mean_confidence`: the mean highest class probability: low for images that look like no
  digit in particular.

:func:`image_quality` returns all five at once; :class:`ImageQuality` keeps the real images'
feature statistics, to score several generators (or a GAN after every epoch) against them.

The classifier argument is a fitted :class:`~genfin.models.ImageClassifier`, or anything with its
``features(images)`` and ``predict_proba(images)`` methods.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import scipy.linalg

from genfin.exceptions import DataValidationError, NotFittedError

__all__ = [
    "IMAGE_QUALITY_METRICS",
    "ImageQuality",
    "class_coverage",
    "class_shares",
    "classifier_score",
    "fid",
    "frechet_distance",
    "image_quality",
    "mean_confidence",
    "predicted_class_entropy",
]

logger = logging.getLogger(__name__)

#: Goal and bounds of each value :func:`image_quality` returns, as the synthetic-data metrics
#: declare them: ``goal`` is ``"maximize"`` or ``"minimize"``; ``max_value`` is ``inf`` for FID.
#: ``classifier_score`` and ``mean_confidence`` are bounded by the number of classes ``K``; the
#: bounds given are those of the 10 MNIST classes.
IMAGE_QUALITY_METRICS: dict[str, dict[str, Any]] = {
    "fid": {"goal": "minimize", "min_value": 0.0, "max_value": float("inf")},
    "class_coverage": {"goal": "maximize", "min_value": 0.0, "max_value": 1.0},
    "class_entropy": {"goal": "maximize", "min_value": 0.0, "max_value": 1.0},
    "classifier_score": {"goal": "maximize", "min_value": 1.0, "max_value": 10.0},
    "mean_confidence": {"goal": "maximize", "min_value": 0.1, "max_value": 1.0},
}

_DEFAULT_MIN_SHARE = 0.01


# ---------------------------------------------------------------------------- Frechet distance


def _check_features(features: Any, source: str) -> np.ndarray:
    array = np.asarray(features)
    if array.dtype.kind not in "biuf":
        raise DataValidationError(f"features must be numbers, got dtype {array.dtype}", source=source)
    if array.ndim != 2:
        raise DataValidationError(
            f"expected features of shape (n_samples, n_features), got shape {array.shape}", source=source
        )
    if array.shape[0] < 2 or array.shape[1] < 1:
        raise DataValidationError(
            f"need at least 2 samples of at least 1 feature for a covariance, got shape {array.shape}",
            source=source,
        )
    array = array.astype(np.float64)
    finite = np.isfinite(array)
    if not finite.all():
        raise DataValidationError(
            f"sample {int(np.argmin(finite.all(axis=1)))} has NaN or infinite features", source=source
        )
    return array


def frechet_distance(features_a: Any, features_b: Any, *, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians fitted to two sets of feature vectors.

    With means ``mu_a, mu_b`` and covariances ``S_a, S_b`` of the rows (``numpy.cov``, ``n - 1``
    in the denominator) the distance is::

        |mu_a - mu_b|^2 + trace(S_a + S_b - 2 * sqrtm(S_a @ S_b))

    the squared 2-Wasserstein distance between the two Gaussians, as FID defines it. It is 0 when
    means and covariances agree and symmetric in its arguments.

    Numerics, as in the reference FID code (pytorch-fid): the matrix square root is
    ``scipy.linalg.sqrtm``. When ``S_a @ S_b`` is singular (fewer samples than features, or a
    collapsed set whose features do not vary) the square root may come out non-finite; then
    ``eps`` is added to the diagonal of both covariances and it is computed again. Rounding gives
    the square root of a product of two covariances small imaginary parts; they are dropped when
    the imaginary parts of its diagonal are below ``1e-3`` in absolute value (relative to the
    largest diagonal element, when that is larger than 1), else an error is raised. A tiny negative
    result of rounding is returned as 0.

    The estimate is biased upwards for small samples (two samples of one distribution are at a
    positive distance), and the bias shrinks with the sample size: compare values computed on the
    same numbers of samples only, and use a few thousand samples for 128 features.

    Parameters
    ----------
    features_a, features_b : array-like of shape (n_a, d) and (n_b, d)
        Feature vectors, one row per sample, at least 2 rows each, finite.
    eps : float, default=1e-6
        Diagonal offset used when the product of the covariances is singular.

    Returns
    -------
    float
        The distance, >= 0.

    Raises
    ------
    DataValidationError
        When the arrays are not 2-D, have fewer than 2 rows, differ in width, or hold NaN or inf.
    ArithmeticError
        When the square root has large imaginary parts, a sign of badly conditioned covariances.
    """
    a = _check_features(features_a, "features_a")
    b = _check_features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise DataValidationError(
            f"features_a has {a.shape[1]} features per sample but features_b has {b.shape[1]} "
            f"(shapes {a.shape} and {b.shape})",
            source="features_b",
        )
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    sigma_a = np.atleast_2d(np.cov(a, rowvar=False))
    sigma_b = np.atleast_2d(np.cov(b, rowvar=False))
    return _frechet_from_moments(mu_a, sigma_a, mu_b, sigma_b, eps=eps)


def _frechet_from_moments(
    mu_a: np.ndarray, sigma_a: np.ndarray, mu_b: np.ndarray, sigma_b: np.ndarray, *, eps: float
) -> float:
    diff = mu_a - mu_b
    covmean = _sqrtm(sigma_a @ sigma_b)
    if not np.isfinite(covmean).all():
        logger.info("singular covariance product; adding %g to the diagonals for the square root", eps)
        offset = np.eye(sigma_a.shape[0]) * eps
        covmean = _sqrtm((sigma_a + offset) @ (sigma_b + offset))
        if not np.isfinite(covmean).all():
            raise ArithmeticError(
                "the matrix square root of the covariance product is not finite even with a diagonal "
                f"offset of {eps}; pass a larger eps"
            )
    if np.iscomplexobj(covmean):
        imaginary = np.abs(np.diagonal(covmean).imag).max()
        scale = max(1.0, float(np.abs(np.diagonal(covmean).real).max()))
        if imaginary > 1e-3 * scale:
            raise ArithmeticError(
                f"the matrix square root of the covariance product has imaginary parts up to {imaginary:.3g} "
                "on its diagonal; the covariances are badly conditioned (too few samples for the "
                "number of features?)"
            )
        covmean = covmean.real
    value = float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2.0 * np.trace(covmean))
    return max(value, 0.0)


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        # A singular matrix makes scipy warn; the caller checks the result and retries with an offset.
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return scipy.linalg.sqrtm(matrix)


# ---------------------------------------------------------------------------- class statistics


def _check_classifier(classifier: Any, *methods: str) -> None:
    missing = [m for m in methods if not callable(getattr(classifier, m, None))]
    if missing:
        raise TypeError(
            f"classifier must be a fitted ImageClassifier (or have {', '.join(methods)}); "
            f"{type(classifier).__name__} lacks {', '.join(missing)}. "
            "Get genfin's MNIST classifier with genfin.evaluate.load_mnist_classifier()"
        )


def _probabilities(images: Any, classifier: Any) -> np.ndarray:
    _check_classifier(classifier, "predict_proba")
    probabilities = np.asarray(classifier.predict_proba(images), dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise DataValidationError(
            f"the classifier's predict_proba returned shape {probabilities.shape}; "
            "expected (n_images, n_classes) with at least 2 classes",
            source="classifier",
        )
    return probabilities


def _n_classes(probabilities: np.ndarray, n_classes: int | None) -> int:
    if n_classes is None:
        return int(probabilities.shape[1])
    if isinstance(n_classes, bool) or not isinstance(n_classes, int | np.integer) or n_classes < 2:
        raise ValueError(f"n_classes must be an int >= 2 or None, got {n_classes!r}")
    if n_classes < probabilities.shape[1]:
        raise ValueError(
            f"n_classes={n_classes}, but the classifier predicts {probabilities.shape[1]} classes"
        )
    return int(n_classes)


def class_shares(generated_images: Any, classifier: Any, *, n_classes: int | None = None) -> np.ndarray:
    """Share of the images predicted as each class (the argmax of ``predict_proba``).

    Parameters
    ----------
    generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them.
    classifier : ImageClassifier
        Fitted; its ``predict_proba`` columns are the classes.
    n_classes : int or None, default=None
        Number of classes, when more than the classifier's columns; None uses the columns.

    Returns
    -------
    numpy.ndarray
        Shape (n_classes,), sums to 1; entry ``j`` belongs to ``classifier.classes_[j]``.
    """
    probabilities = _probabilities(generated_images, classifier)
    return _shares(probabilities, _n_classes(probabilities, n_classes))


def _shares(probabilities: np.ndarray, n_classes: int) -> np.ndarray:
    counts = np.bincount(probabilities.argmax(axis=1), minlength=n_classes)
    return counts / counts.sum()


def _check_min_share(min_share: float) -> float:
    if not 0.0 < float(min_share) <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share!r}")
    return float(min_share)


def class_coverage(
    generated_images: Any,
    classifier: Any,
    *,
    n_classes: int | None = None,
    min_share: float = _DEFAULT_MIN_SHARE,
) -> float:
    """Share of the classes that receive at least ``min_share`` of the generated images.

    Each image counts for the class the classifier finds most probable. With 10 classes and the
    default ``min_share=0.01`` (a tenth of the balanced share of 0.1), a class is covered when at
    least 1% of the images are predicted as it.

    Parameters
    ----------
    generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them.
    classifier : ImageClassifier
        Fitted on the real classes (genfin's MNIST classifier for digits).
    n_classes : int or None, default=None
        Number of classes; None takes the classifier's.
    min_share : float, default=0.01
        Smallest share of the images that counts a class as covered, in (0, 1].

    Returns
    -------
    float
        In [0, 1]: 1 when every class is covered, ``1 / n_classes`` for a generator that draws a
        single class.
    """
    min_share = _check_min_share(min_share)
    probabilities = _probabilities(generated_images, classifier)
    return _coverage(_shares(probabilities, _n_classes(probabilities, n_classes)), min_share)


def _coverage(shares: np.ndarray, min_share: float) -> float:
    # A tolerance, so that exactly min_share of the images counts despite rounding of the division.
    return float(np.mean(shares >= min_share - 1e-12))


def predicted_class_entropy(
    generated_images: Any, classifier: Any, *, n_classes: int | None = None, normalize: bool = True
) -> float:
    """Entropy of the mean predicted class distribution of the generated images.

    The mean of the rows of ``predict_proba`` is the distribution of classes the generator draws,
    as the classifier sees it (``p(y)`` of the Inception score). Its entropy is 0 when every image
    is confidently the same class, and ``log(n_classes)`` when the classes are equally likely.

    Parameters
    ----------
    generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them.
    classifier : ImageClassifier
        Fitted.
    n_classes : int or None, default=None
        Number of classes for the normalisation; None takes the classifier's.
    normalize : bool, default=True
        Divide by ``log(n_classes)``, giving a value in [0, 1]; else the entropy in nats, in
        ``[0, log(n_classes)]``.

    Returns
    -------
    float
        The entropy, normalised to [0, 1] by default (1: classes equally often).
    """
    probabilities = _probabilities(generated_images, classifier)
    return _entropy(probabilities, _n_classes(probabilities, n_classes), normalize=normalize)


def _entropy(probabilities: np.ndarray, n_classes: int, *, normalize: bool) -> float:
    marginal = probabilities.mean(axis=0)
    positive = marginal[marginal > 0]
    entropy = float(-(positive * np.log(positive)).sum())
    entropy = min(max(entropy, 0.0), float(np.log(n_classes)))
    return entropy / float(np.log(n_classes)) if normalize else entropy


def classifier_score(generated_images: Any, classifier: Any) -> float:
    """The Inception score's construction on genfin's classifier: ``exp(mean KL(p(y|x) || p(y)))``.

    ``p(y|x)`` is an image's row of ``predict_proba`` and ``p(y)`` their mean. The score is high
    when each image is confidently one class (low conditional entropy) and the classes vary (high
    marginal entropy): between 1 and the number of classes, which balanced, perfectly recognisable
    images reach. Real MNIST test digits score close to 10 on the MNIST classifier.

    Parameters
    ----------
    generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them.
    classifier : ImageClassifier
        Fitted.

    Returns
    -------
    float
        In [1, n_classes].
    """
    return _classifier_score(_probabilities(generated_images, classifier))


def _classifier_score(probabilities: np.ndarray) -> float:
    marginal = probabilities.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probabilities > 0, probabilities * (np.log(probabilities) - np.log(marginal)), 0.0)
    return float(np.exp(max(terms.sum(axis=1).mean(), 0.0)))


def mean_confidence(generated_images: Any, classifier: Any) -> float:
    """Mean over the images of the highest class probability.

    Parameters
    ----------
    generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them.
    classifier : ImageClassifier
        Fitted.

    Returns
    -------
    float
        In [1 / n_classes, 1]; real MNIST test digits are near 1, noise and blends of two digits
        lower.
    """
    return float(_probabilities(generated_images, classifier).max(axis=1).mean())


def fid(real_images: Any, generated_images: Any, classifier: Any, *, eps: float = 1e-6) -> float:
    """Frechet distance between the classifier features of real and of generated images.

    FID with genfin's classifier in place of Inception: :func:`frechet_distance` of
    ``classifier.features(real_images)`` and ``classifier.features(generated_images)``. Compare
    values only at equal sample sizes (see :func:`frechet_distance`); 10,000 images of each is the
    convention.

    Parameters
    ----------
    real_images, generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them, at least 2 of each.
    classifier : ImageClassifier
        Fitted (genfin's MNIST classifier for digits, :func:`genfin.evaluate.load_mnist_classifier`).
    eps : float, default=1e-6
        Diagonal offset for singular covariances, see :func:`frechet_distance`.

    Returns
    -------
    float
        >= 0; lower is better.
    """
    _check_classifier(classifier, "features")
    return frechet_distance(
        _named_features(classifier, real_images, "real_images"),
        _named_features(classifier, generated_images, "generated_images"),
        eps=eps,
    )


def _named_features(classifier: Any, images: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(classifier.features(images))
    except DataValidationError as exc:
        # The classifier's check says "images"; say which of the two sets was wrong.
        raise DataValidationError(f"{name}: {exc}") from exc


class ImageQuality:
    """Image-quality values of generated images against real images fixed once.

    Holds the real images' feature mean and covariance, so that measuring one generator after
    another, or a GAN after every epoch, runs the classifier on the real images only once.

    Parameters
    ----------
    classifier : ImageClassifier
        Fitted (genfin's MNIST classifier for digits, :func:`genfin.evaluate.load_mnist_classifier`).
    n_classes : int or None, default=None
        Number of classes for coverage and entropy; None takes the classifier's.
    min_share : float, default=0.01
        As for :func:`class_coverage`.
    eps : float, default=1e-6
        Diagonal offset for singular covariances, see :func:`frechet_distance`.

    Attributes
    ----------
    real_mean_, real_cov_ : numpy.ndarray
        Mean and covariance of the real images' features, set by :meth:`fit`.
    n_real_ : int
        Number of real images.

    Examples
    --------
    >>> quality = ImageQuality(load_mnist_classifier()).fit(test.images)  # doctest: +SKIP
    >>> quality.compute(gan.sample(10_000))  # doctest: +SKIP
    {'fid': 3.1, 'class_coverage': 1.0, 'class_entropy': 0.99, ...}
    """

    def __init__(
        self,
        classifier: Any,
        *,
        n_classes: int | None = None,
        min_share: float = _DEFAULT_MIN_SHARE,
        eps: float = 1e-6,
    ) -> None:
        self.classifier = classifier
        self.n_classes = n_classes
        self.min_share = min_share
        self.eps = eps

    def fit(self, real_images: Any) -> ImageQuality:
        """Compute the feature mean and covariance of ``real_images`` (at least 2).

        Returns
        -------
        ImageQuality
            ``self``.
        """
        _check_min_share(self.min_share)
        _check_classifier(self.classifier, "features", "predict_proba")
        features = _check_features(
            _named_features(self.classifier, real_images, "real_images"), "real_images"
        )
        self.real_mean_ = features.mean(axis=0)
        self.real_cov_ = np.atleast_2d(np.cov(features, rowvar=False))
        self.n_real_ = int(features.shape[0])
        return self

    def compute(self, generated_images: Any) -> dict[str, float]:
        """All image-quality values of ``generated_images`` (at least 2).

        Returns
        -------
        dict
            ``fid`` (:func:`fid`), ``class_coverage``, ``class_entropy`` (normalised to [0, 1]),
            ``classifier_score`` and ``mean_confidence``; goals and bounds are in
            :data:`IMAGE_QUALITY_METRICS`.
        """
        if not hasattr(self, "real_mean_"):
            raise NotFittedError("this ImageQuality has no real images yet; call fit(real_images) first")
        features = _check_features(
            _named_features(self.classifier, generated_images, "generated_images"), "generated_images"
        )
        if features.shape[1] != self.real_mean_.shape[0]:
            raise DataValidationError(
                f"the classifier gives {features.shape[1]} features, but {self.real_mean_.shape[0]} "
                "for the real images; fit again after changing the classifier",
                source="generated_images",
            )
        distance = _frechet_from_moments(
            self.real_mean_,
            self.real_cov_,
            features.mean(axis=0),
            np.atleast_2d(np.cov(features, rowvar=False)),
            eps=self.eps,
        )
        probabilities = _probabilities(generated_images, self.classifier)
        k = _n_classes(probabilities, self.n_classes)
        return {
            "fid": distance,
            "class_coverage": _coverage(_shares(probabilities, k), float(self.min_share)),
            "class_entropy": _entropy(probabilities, k, normalize=True),
            "classifier_score": _classifier_score(probabilities),
            "mean_confidence": float(probabilities.max(axis=1).mean()),
        }


def image_quality(
    real_images: Any,
    generated_images: Any,
    classifier: Any,
    *,
    n_classes: int | None = None,
    min_share: float = _DEFAULT_MIN_SHARE,
) -> dict[str, float]:
    """All image-quality values at once, running the classifier once per set of images.

    To compare several generators against the same real images, :class:`ImageQuality` computes
    the real images' features once.

    Parameters
    ----------
    real_images, generated_images : array-like
        Images as :class:`~genfin.models.ImageClassifier` takes them, at least 2 of each.
    classifier : ImageClassifier
        Fitted (genfin's MNIST classifier for digits, :func:`genfin.evaluate.load_mnist_classifier`).
    n_classes : int or None, default=None
        Number of classes for coverage and entropy; None takes the classifier's.
    min_share : float, default=0.01
        As for :func:`class_coverage`.

    Returns
    -------
    dict
        ``fid`` (:func:`fid`), ``class_coverage``, ``class_entropy`` (normalised to [0, 1]),
        ``classifier_score`` and ``mean_confidence`` of the generated images; goals and bounds are
        in :data:`IMAGE_QUALITY_METRICS`.
    """
    quality = ImageQuality(classifier, n_classes=n_classes, min_share=min_share)
    return quality.fit(real_images).compute(generated_images)
