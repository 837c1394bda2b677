"""Built-in SYNTHETIC card transactions with the credit card schema, for demos and tests.

Nothing here comes from real cardholders: the generator is a made-up process, shaped only loosely
after the ULB credit card data, so that the models and reports can run anywhere without a download.

Normal traffic comes from a few latent factors mapped to ``V1``..``V28`` (so the components are
correlated, some skewed and some heavy-tailed), an ``Amount`` from a log-normal mixture that leans on
the first factor, and a ``Time`` over two days with fewer transactions at night. Frauds follow four
patterns, each differing from normal traffic in only a few places:

``card testing``
    shifts in ``V3``, ``V10`` and ``V16`` and tiny amounts;
``account takeover``
    shifts in ``V4``, ``V11``, ``V12`` and ``V17`` and large amounts;
``correlation break``
    every component has its normal marginal distribution but the factor structure is broken, and
    the amount ignores the factors; only a small shift in ``V14``;
``erratic``
    ``V7``, ``V20`` and ``V21`` three times as volatile, a shift in ``V14``.

So no single feature separates the classes well, while a multivariate model does much better.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from genfin.data.creditcard import CREDITCARD_FEATURES
from genfin.data.tables import Transactions

TWO_DAYS = 172_800.0

_N_COMPONENTS = 28
_N_FACTORS = 5
# The process itself is fixed: its loadings come from this seed, whatever the caller's random_state.
_PROCESS_SEED = 20_130_901

_SKEWED = (0, 1, 4)  # V1, V2, V5: long left tail like the real V1
_HEAVY_TAILED = (6, 19, 20, 27)  # V7, V20, V21, V28


def make_transactions(
    n_samples: int = 20_000,
    fraud_rate: float = 0.01,
    *,
    random_state: int | np.random.Generator | None = None,
) -> Transactions:
    """Generate SYNTHETIC card transactions with the credit card schema.

    The data are made up (see the module documentation for the process); use them for demos,
    tests and benchmarks of the code, never as evidence about real fraud.

    Parameters
    ----------
    n_samples
        Number of transactions, at least 2.
    fraud_rate
        Share of frauds, in ``[0, 1)``. Exactly ``round(n_samples * fraud_rate)`` rows are frauds,
        at least one when ``fraud_rate > 0``, and at least one row is normal.
    random_state
        Seed or ``numpy.random.Generator``. Only a local generator is used; the same seed gives
        identical data.

    Returns
    -------
    Transactions
        ``X`` with the columns of :data:`~genfin.data.CREDITCARD_FEATURES`, ``y`` (int64, 1 = fraud)
        named ``"Class"``, ``time`` in whole seconds over two days. Rows are in time order, as in
        the real file, so frauds are interleaved with normal traffic.

    Raises
    ------
    TypeError
        If ``n_samples`` is not an integer or ``fraud_rate`` not a number.
    ValueError
        If ``n_samples < 2``, ``fraud_rate`` is outside ``[0, 1)``, or no normal row would be left.

    Examples
    --------
    >>> X, y = make_transactions(1_000, fraud_rate=0.02, random_state=0)
    >>> X.shape, int(y.sum())
    ((1000, 29), 20)
    """
    n_frauds = _count_frauds(n_samples, fraud_rate)
    rng = np.random.default_rng(random_state)
    n_normal = n_samples - n_frauds
    loadings = _loadings()

    v_normal, factor_normal = _components(rng, n_normal, loadings)
    amount_normal = _normal_amounts(rng, factor_normal)
    time_normal = _times(rng, n_normal, night_share=0.12)

    pattern = rng.permutation(np.arange(n_frauds) % 4)
    v_fraud, factor_fraud = _components(rng, n_frauds, loadings)
    amount_fraud = _normal_amounts(rng, factor_fraud)
    _card_testing(rng, v_fraud, amount_fraud, pattern == 0)
    _account_takeover(rng, v_fraud, amount_fraud, pattern == 1)
    _correlation_break(rng, v_fraud, amount_fraud, pattern == 2, loadings)
    _erratic(v_fraud, pattern == 3)
    time_fraud = _times(rng, n_frauds, night_share=0.4)

    # The real components have falling variances (they are principal components); so do these.
    scale = np.linspace(1.9, 0.3, _N_COMPONENTS)
    v = np.vstack([v_normal, v_fraud]) * scale
    amount = np.round(np.concatenate([amount_normal, amount_fraud]), 2)
    time = np.concatenate([time_normal, time_fraud])
    label = np.concatenate([np.zeros(n_normal, np.int64), np.ones(n_frauds, np.int64)])

    # Ties in time are broken at random so that frauds are not grouped after normal rows.
    order = np.lexsort((rng.random(n_samples), time))
    X = pd.DataFrame(np.column_stack([v, amount])[order], columns=CREDITCARD_FEATURES)
    seed = random_state if isinstance(random_state, int | None) else type(random_state).__name__
    return Transactions(
        X=X,
        y=pd.Series(label[order], name="Class"),
        time=pd.Series(time[order], name="Time"),
        source=f"synthetic: make_transactions(n_samples={n_samples}, fraud_rate={fraud_rate}, "
        f"random_state={seed})",
    )


def _count_frauds(n_samples: int, fraud_rate: float) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(f"n_samples must be an integer, got {n_samples!r}")
    if isinstance(fraud_rate, bool) or not isinstance(fraud_rate, numbers.Real):
        raise TypeError(f"fraud_rate must be a number, got {fraud_rate!r}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    if not 0.0 <= fraud_rate < 1.0:
        raise ValueError(f"fraud_rate must be in [0, 1), got {fraud_rate}")
    n_frauds = round(n_samples * fraud_rate)
    if fraud_rate > 0:
        n_frauds = max(n_frauds, 1)
    if n_frauds >= n_samples:
        raise ValueError(f"fraud_rate={fraud_rate} leaves no normal transaction among n_samples={n_samples}")
    return int(n_frauds)


def _loadings() -> np.ndarray:
    """Return the fixed factor loadings, scaled so each component has unit variance."""
    rng = np.random.default_rng(_PROCESS_SEED)
    raw = rng.normal(size=(_N_FACTORS, _N_COMPONENTS))
    # Each factor drives a band of components most, so correlations are strong within a band.
    band = np.arange(_N_COMPONENTS) * _N_FACTORS // _N_COMPONENTS
    raw[band, np.arange(_N_COMPONENTS)] += 2.5
    shared = rng.uniform(0.35, 0.8, _N_COMPONENTS)  # share of each component's variance from factors
    return raw / np.linalg.norm(raw, axis=0) * np.sqrt(shared)


def _components(rng: np.random.Generator, n: int, loadings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw components with unit variance and mean 0; return them and the factors behind them."""
    factors = rng.standard_normal((n, _N_FACTORS))
    noise_sd = np.sqrt(1.0 - (loadings**2).sum(axis=0))
    v = factors @ loadings + rng.standard_normal((n, _N_COMPONENTS)) * noise_sd
    for j in _SKEWED:
        # A negated log-normal, centred and scaled to unit variance: long left tail.
        v[:, j] = -(np.exp(0.6 * v[:, j]) - np.exp(0.18)) / np.sqrt((np.exp(0.36) - 1) * np.exp(0.36))
    for j in _HEAVY_TAILED:
        # Student-t with 5 degrees of freedom, rescaled to unit variance.
        v[:, j] *= np.sqrt(5.0 / rng.chisquare(5.0, n)) * np.sqrt(3.0 / 5.0)
    return v, factors


def _normal_amounts(rng: np.random.Generator, factors: np.ndarray) -> np.ndarray:
    """Heavy-tailed amounts: a mixture of small, medium and large log-normal purchases."""
    n = len(factors)
    kind = rng.choice(3, size=n, p=[0.6, 0.35, 0.05])
    median = np.array([9.0, 60.0, 400.0])[kind]
    spread = np.array([0.9, 0.7, 0.6])[kind]
    log_amount = np.log(median) + 0.35 * factors[:, 0] + spread * rng.standard_normal(n)
    return np.exp(log_amount)


def _times(rng: np.random.Generator, n: int, *, night_share: float) -> np.ndarray:
    """Whole seconds over two days, with a day/night rhythm: night hours are quieter for normal use."""
    seconds = np.arange(int(TWO_DAYS))
    hour = (seconds / 3600.0) % 24.0
    night = (hour < 7.0) | (hour >= 23.0)
    # Weights chosen so that the night hours hold `night_share` of the rows.
    weight = np.where(night, night_share / 8.0, (1.0 - night_share) / 16.0)
    cdf = np.cumsum(weight)
    return np.searchsorted(cdf, rng.random(n) * cdf[-1]).astype(np.float64)


def _card_testing(rng: np.random.Generator, v: np.ndarray, amount: np.ndarray, rows: np.ndarray) -> None:
    k = int(rows.sum())
    v[np.ix_(rows, [2, 9, 15])] += np.array([-3.0, -2.6, -2.4]) + 0.5 * rng.standard_normal((k, 3))
    amount[rows] = rng.uniform(0.5, 5.0, k)


def _account_takeover(rng: np.random.Generator, v: np.ndarray, amount: np.ndarray, rows: np.ndarray) -> None:
    k = int(rows.sum())
    v[np.ix_(rows, [3, 10, 11, 16])] += np.array([2.6, 2.4, -2.8, -2.4]) + 0.5 * rng.standard_normal((k, 4))
    amount[rows] = np.exp(np.log(250.0) + 0.6 * rng.standard_normal(k))


def _correlation_break(
    rng: np.random.Generator, v: np.ndarray, amount: np.ndarray, rows: np.ndarray, loadings: np.ndarray
) -> None:
    k = int(rows.sum())
    # Each component draws its own factors, so marginals stay normal-looking but correlations vanish.
    for j in range(_N_COMPONENTS):
        v[rows, j] = _components(rng, k, loadings)[0][:, j]
    v[rows, 13] -= 1.5
    amount[rows] = _normal_amounts(rng, rng.standard_normal((k, _N_FACTORS)))


def _erratic(v: np.ndarray, rows: np.ndarray) -> None:
    v[np.ix_(rows, [6, 19, 20])] *= 4.0
    v[rows, 13] -= 2.0
