import math

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from genfin.models import (
    GAN,
    VAE,
    AdversarialAutoencoder,
    AutoencoderDetector,
    ImageAutoencoder,
    ImageClassifier,
    PseudoLabelClassifier,
    SGANClassifier,
)
from genfin.models._params import (
    AnyOf,
    Boolean,
    IntAtLeast,
    IntSizes,
    Number,
    OneOf,
    PositiveInt,
    TwoNumbers,
    check_params,
    optional,
)


def assert_rule(rule, *, text, accepts, rejects):
    assert rule.text == text
    for value in accepts:
        assert rule.accepts(value), f"{rule} should accept {value!r}"
    for value in rejects:
        assert not rule.accepts(value), f"{rule} should reject {value!r}"


def test_one_of():
    assert_rule(
        OneOf("warn", "stop"),
        text="must be one of ('warn', 'stop')",
        accepts=["warn", "stop"],
        rejects=["panic", None, ["warn"]],
    )
    assert OneOf("auto").text == "must be 'auto'"


def test_positive_int_and_int_at_least():
    assert_rule(
        PositiveInt(),
        text="must be a positive int",
        accepts=[1, 128, np.int64(3)],
        rejects=[0, -1, 1.0, 2.5, True, "1", None],
    )
    assert_rule(IntAtLeast(0), text="must be an int >= 0", accepts=[0, 5], rejects=[-1, False, 0.0])


def test_number_bounds_and_their_text():
    assert_rule(Number(), text="must be a number", accepts=[-1e9, 0, 2.5], rejects=["abc", None])
    assert_rule(
        Number(low=0, low_closed=False),
        text="must be a number > 0",
        accepts=[1e-4, 3, np.float32(0.5)],
        rejects=[0, -1.0, float("nan")],
    )
    assert_rule(Number(low=1), text="must be a number >= 1", accepts=[1, 1.5], rejects=[0.99])
    assert_rule(Number(0, 1), text="must be a number in [0, 1)", accepts=[0, 0.5], rejects=[1, -0.1])
    assert_rule(
        Number(0, 1, low_closed=False, high_closed=True),
        text="must be a number in (0, 1]",
        accepts=[1, 0.5],
        rejects=[0],
    )
    assert_rule(Number(high=1, high_closed=True), text="must be a number <= 1", accepts=[-5, 1], rejects=[2])
    assert_rule(Number(0, math.inf), text="must be a number in [0, inf)", accepts=[1e300], rejects=[math.inf])


@pytest.mark.parametrize("value", [True, False, np.True_, "0.5", b"1", None, [0.5], np.array([0.5])])
def test_number_rejects_bools_and_non_numbers(value):
    assert not Number().accepts(value)


def test_two_numbers():
    assert_rule(
        TwoNumbers(0, 1),
        text="must be two numbers in [0, 1)",
        accepts=[(0.5, 0.999), [0, np.float64(0.9)]],
        rejects=[(0.5,), (0.5, 0.9, 0.9), (0.5, 1.0), ("0.5", 0.9), (True, 0.5), "ab", 0.5],
    )


def test_boolean():
    assert_rule(
        Boolean(),
        text="must be True or False",
        accepts=[True, False, np.True_],
        rejects=[1, 0, "yes", None],
    )


def test_int_sizes():
    assert_rule(
        IntSizes(),
        text="must be a non-empty sequence of positive ints",
        accepts=[(128, 64), [8], [np.int64(8)]],
        rejects=[(), 8, np.int64(8), "84", b"84", (8, 0), (8.0,), (True,), {8}, np.array([8, 4]), None],
    )
    assert_rule(
        IntSizes(allow_empty=True),
        text="must be a sequence of positive ints",
        accepts=[(), [], (4,)],
        rejects=[8, (0,)],
    )


def test_optional_and_any_of():
    assert_rule(
        optional(PositiveInt()),
        text="must be None or a positive int",
        accepts=[None, 3],
        rejects=[0, "auto", np.array([1, 2])],
    )
    assert_rule(
        AnyOf("auto", None, PositiveInt()),
        text="must be 'auto', None or a positive int",
        accepts=["auto", None, 2],
        rejects=["many", 0, 2.5],
    )


class Settings:
    def __init__(self, **params):
        vars(self).update(params)


def test_check_params_names_the_estimator_parameter_rule_and_value():
    rules = {"epochs": PositiveInt(), "kind": OneOf("a", "b")}
    check_params(Settings(epochs=3, kind="a"), rules)
    with pytest.raises(ValueError) as error:
        check_params(Settings(epochs="abc", kind="z"), rules)
    # The first broken rule in the table is the one reported.
    assert str(error.value) == "Settings: epochs must be a positive int, got 'abc'"


ROWS = np.zeros((4, 3))
IMAGES = np.zeros((4, 8, 8), dtype=np.uint8)
SEMI_LABELS = np.array([0, 1, -1, -1])

ESTIMATORS_AND_DATA = {
    "aae": (AdversarialAutoencoder, (ROWS,)),
    "autoencoder": (AutoencoderDetector, (ROWS,)),
    "gan": (GAN, (ROWS,)),
    "image_autoencoder": (ImageAutoencoder, (IMAGES,)),
    "image_classifier": (ImageClassifier, (IMAGES, [0, 1, 0, 1])),
    "pseudo_label": (
        lambda **params: PseudoLabelClassifier(LogisticRegression(), **params),
        (ROWS, SEMI_LABELS),
    ),
    "sgan": (SGANClassifier, (ROWS, SEMI_LABELS)),
    "vae": (VAE, (ROWS,)),
}
NUMERIC_PARAMETERS = [
    ("aae", "learning_rate"),
    ("aae", "epochs"),
    ("autoencoder", "learning_rate"),
    ("autoencoder", "weight_decay"),
    ("autoencoder", "contamination"),
    ("autoencoder", "n_threads"),
    ("gan", "generator_lr"),
    ("gan", "epochs"),
    ("image_autoencoder", "learning_rate"),
    ("image_autoencoder", "validation_fraction"),
    ("image_classifier", "learning_rate"),
    ("image_classifier", "dropout"),
    ("pseudo_label", "threshold"),
    ("pseudo_label", "max_iter"),
    ("sgan", "unsupervised_weight"),
    ("sgan", "epochs"),
    ("vae", "learning_rate"),
    ("vae", "beta"),
]


@pytest.mark.parametrize(("estimator", "parameter"), NUMERIC_PARAMETERS)
def test_a_non_number_is_named_before_any_training(estimator, parameter):
    make, data = ESTIMATORS_AND_DATA[estimator]
    model = make(**{parameter: "abc"})
    with pytest.raises(ValueError, match=rf"^\w+: {parameter} must be .*, got 'abc'$"):
        model.fit(*data)
    fitted = [name for name in vars(model) if name.endswith("_") and not name.startswith("_")]
    assert fitted == []


@pytest.mark.parametrize("estimator", sorted(ESTIMATORS_AND_DATA))
def test_every_rule_names_a_hyperparameter_and_the_defaults_keep_them(estimator):
    model = ESTIMATORS_AND_DATA[estimator][0]()
    assert set(model._PARAMETER_RULES) <= set(model.get_params(deep=False))
    model._check_params()
