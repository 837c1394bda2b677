"""Declarative rules for hyperparameters: each estimator lists its own in a ``_PARAMETER_RULES`` table.

Hand-written checks drifted apart: one compared a learning rate with 0 without checking it was a
number, so a string gave a TypeError. A rule checks type and range together and words its error the
same way in every estimator. Conditions that tie parameters together stay in ``_check_params``.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from genfin.models._validation import is_number, is_positive_int


def parameter_error(estimator: Any, name: str, rule_text: str) -> ValueError:
    """The error for a hyperparameter that breaks a rule, naming estimator, parameter, rule and value."""
    return ValueError(f"{type(estimator).__name__}: {name} {rule_text}, got {getattr(estimator, name)!r}")


def check_params(estimator: Any, rules: Mapping[str, Rule]) -> None:
    """Raise the ``parameter_error`` of the first hyperparameter of ``estimator`` that breaks its rule."""
    for name, rule in rules.items():
        if not rule.accepts(getattr(estimator, name)):
            raise parameter_error(estimator, name, rule.text)


class Rule(ABC):
    """What one hyperparameter must be (``accepts``), and the words that say it (``text``)."""

    #: The allowed values as a phrase that follows "must be", such as "a positive int".
    expected: str

    @abstractmethod
    def accepts(self, value: Any) -> bool:
        """Whether ``value`` keeps the rule."""

    @property
    def text(self) -> str:
        return f"must be {self.expected}"


@dataclasses.dataclass(frozen=True, init=False)
class OneOf(Rule):
    """One of a few fixed values, such as the names of a choice."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.values
        except ValueError:  # an array compares element-wise, without one answer: it is none of the values
            return False

    @property
    def expected(self) -> str:
        # A single value reads as itself: AnyOf("auto", PositiveInt()) says "'auto' or a positive int".
        return repr(self.values[0]) if len(self.values) == 1 else f"one of {self.values!r}"


@dataclasses.dataclass(frozen=True)
class IntAtLeast(Rule):
    """An int of at least ``minimum``. Numpy ints count, bools do not."""

    minimum: int

    def accepts(self, value: Any) -> bool:
        return is_positive_int(value, self.minimum)

    @property
    def expected(self) -> str:
        return "a positive int" if self.minimum == 1 else f"an int >= {self.minimum}"


@dataclasses.dataclass(frozen=True)
class PositiveInt(IntAtLeast):
    """An int of at least 1, such as a count of epochs or a batch size."""

    minimum: int = dataclasses.field(default=1, init=False)


@dataclasses.dataclass(frozen=True)
class Number(Rule):
    """A real number within optional bounds, each closed or open; numpy numbers count, bools do not."""

    low: float | None = None
    high: float | None = None
    _: dataclasses.KW_ONLY
    low_closed: bool = True
    high_closed: bool = False
    noun = "a number"  # what the bounds qualify in the text; TwoNumbers has its own

    def accepts(self, value: Any) -> bool:
        if not is_number(value):
            return False
        above = self.low is None or (value >= self.low if self.low_closed else value > self.low)
        below = self.high is None or (value <= self.high if self.high_closed else value < self.high)
        return bool(above and below)

    @property
    def expected(self) -> str:
        if self.low is not None and self.high is not None:
            opening, closing = "[" if self.low_closed else "(", "]" if self.high_closed else ")"
            return f"{self.noun} in {opening}{self.low}, {self.high}{closing}"
        if self.low is not None:
            return f"{self.noun} {'>=' if self.low_closed else '>'} {self.low}"
        if self.high is not None:
            return f"{self.noun} {'<=' if self.high_closed else '<'} {self.high}"
        return self.noun


@dataclasses.dataclass(frozen=True)
class TwoNumbers(Number):
    """A pair (tuple or list) of numbers within the same bounds, such as Adam's ``betas``."""

    noun = "two numbers"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (tuple, list)) and len(value) == 2 and all(map(super().accepts, value))


@dataclasses.dataclass(frozen=True)
class Boolean(Rule):
    """True or False. A numpy bool counts, but other truthy values such as 1 or "yes" do not."""

    expected = "True or False"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))


@dataclasses.dataclass(frozen=True)
class IntSizes(Rule):
    """A sequence of positive ints, such as layer widths, empty only if ``allow_empty``.

    A bare int or str is refused (a typo for a one-element sequence), an array too (not JSON for ``save``).
    """

    allow_empty: bool = False

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            return False
        return (self.allow_empty or len(value) > 0) and all(map(is_positive_int, value))

    @property
    def expected(self) -> str:
        return f"{'a' if self.allow_empty else 'a non-empty'} sequence of positive ints"


@dataclasses.dataclass(frozen=True, init=False)
class AnyOf(Rule):
    """Keeps any of ``choices``. A choice that is not a Rule, such as "auto" or None, stands for itself."""

    choices: tuple[Rule, ...]

    def __init__(self, *choices: Any) -> None:
        rules = tuple(choice if isinstance(choice, Rule) else OneOf(choice) for choice in choices)
        object.__setattr__(self, "choices", rules)

    def accepts(self, value: Any) -> bool:
        return any(choice.accepts(value) for choice in self.choices)

    @property
    def expected(self) -> str:
        *others, last = (choice.expected for choice in self.choices)
        return f"{', '.join(others)} or {last}" if others else last


def optional(rule: Rule) -> AnyOf:
    """``rule`` or None, for a hyperparameter where None has a meaning of its own (a default, no limit)."""
    return AnyOf(None, rule)
