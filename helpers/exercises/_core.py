"""The verdict machinery shared by every exercise: units, known mistakes, checks that never raise.

An exercise is one :class:`Exercise` unit, declared by the :func:`exercise`
decorator on its check body (number, title, level and the ``solve`` line are
written there and nowhere else). The body returns a note for "correct",
raises :class:`_NotAttempted` or :class:`_Wrong`; the decorator turns that
into the printed verdict, records it (:func:`results`) and returns
True / None / False. Typical wrong answers are data: a list of
:class:`Mistake` tried in order by :func:`reject_known`.
"""
from __future__ import annotations

import functools
import operator
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)

CORRECT, NOT_ATTEMPTED, WRONG = "correct", "not attempted yet", "not yet"
LEVELS = ("easy", "medium", "harder")

_RESULTS: dict = {}
_UNITS: dict = {}


def results() -> dict:
    """Verdicts of the checks run so far in this process: name -> "correct" / "not attempted yet" / "not yet"."""
    return dict(_RESULTS)


def reset_results() -> None:
    """Forget the verdicts recorded so far (tests use it)."""
    _RESULTS.clear()


def units() -> dict:
    """Every exercise: name -> :class:`Exercise`, in registration order (notebook 01 first)."""
    return dict(_UNITS)


@dataclass(frozen=True)
class Exercise:
    """One exercise of a lesson notebook.

    Attributes:
        name: ``check_<name>`` is its check; the notebook cells carry the name in their metadata.
        number: as shown to the student, "1.2" (notebook 1, second exercise).
        notebook: the notebook's prefix, "01".
        title: the short prompt of the statement's heading, e.g. "Which channel likes blue?".
        level: "easy", "medium" or "harder".
        solve: for value exercises the line ``tools/run_solutions.py`` appends after the reference
            solution (e.g. "answer = blue_channel(card)"); None for function exercises.
        check: the check the notebook calls (prints the verdict, returns True / False / None).
    """

    name: str
    number: str
    notebook: str
    title: str
    level: str
    solve: str | None
    check: Callable

    @property
    def label(self) -> str:
        """How verdicts name the exercise: "Exercise 1.2 (blue_channel)"."""
        return f"Exercise {self.number} ({self.name})"

    @property
    def heading(self) -> str:
        """The statement's heading in the notebook: "### Exercise 1.2 · Which channel likes blue? (medium)"."""
        return f"### Exercise {self.number} · {self.title} ({self.level})"


class _NotAttempted(Exception):
    """The answer is still the starter's None."""


class _Wrong(Exception):
    """A wrong answer: ``what`` is wrong, ``hint`` points at the right idea."""

    def __init__(self, what: str, hint: str = ""):
        super().__init__(what)
        self.what, self.hint = what, hint


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and what to tell the student about it.

    Attributes:
        match: the value this mistake gives (compared with the answer by the exercise's rule of
            closeness), or a predicate ``answer -> bool`` for mistakes that are no single value.
        what: what is wrong (the verdict's text).
        hint: points at the right idea ("" for none).
    """

    match: Any
    what: str
    hint: str = ""

    def matches(self, got, same: Callable = operator.eq) -> bool:
        return bool(self.match(got)) if callable(self.match) else bool(same(got, self.match))


def reject_known(got, mistakes, same: Callable = operator.eq) -> None:
    """Raise :class:`_Wrong` for the first of ``mistakes`` that ``got`` matches; return if none does.

    Args:
        got: the student's answer (or result), after validation.
        mistakes: :class:`Mistake` list, most specific first.
        same: ``same(got, value)`` -> bool, the exercise's rule of closeness for value mistakes.
    """
    for mistake in mistakes:
        if mistake.matches(got, same):
            raise _Wrong(mistake.what, mistake.hint)


def exercise(number: str, title: str, level: str, solve: str | None = None):
    """Declare an exercise on its check body ``check_<name>``: register its :class:`Exercise` unit and
    return the check (prints the verdict, records it, returns True / False / None, never raises).

    The body returns a note for "correct" (or None), raises :class:`_NotAttempted` or :class:`_Wrong`.
    The notebook prefix is the number's first part: "1.2" -> "01".
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")

    def wrap(body):
        name = body.__name__.removeprefix("check_")
        if name in _UNITS:
            raise ValueError(f"exercise {name!r} is declared twice")

        @functools.wraps(body)
        def check(*args, **kwargs):
            label = _UNITS[name].label
            try:
                note = body(*args, **kwargs)
            except _NotAttempted as exc:
                detail = str(exc) or "the answer is still None: replace None with your answer and run again."
                print(f"{label}: {NOT_ATTEMPTED} - {detail}")
                _RESULTS[name] = NOT_ATTEMPTED
                return None
            except _Wrong as exc:
                print(f"{label}: {WRONG} - {exc.what}")
                if exc.hint:
                    print(f"    Hint: {exc.hint}")
                _RESULTS[name] = WRONG
                return False
            except Exception as exc:  # a bug in this check must not stop the notebook either
                print(f"{label}: {WRONG} - the check could not be run ({type(exc).__name__}: {exc}).")
                print("    Please tell your teaching assistant; the rest of the notebook still works.")
                _RESULTS[name] = WRONG
                return False
            print(f"{label}: {CORRECT}" + (f" - {note}" if note else "."))
            _RESULTS[name] = CORRECT
            return True

        check.exercise = name
        _UNITS[name] = Exercise(name=name, number=number, notebook=f"{int(number.split('.')[0]):02d}",
                                title=title, level=level, solve=solve, check=check)
        return check

    return wrap


def _call(fn, *args, what: str = "your function"):
    """Call the student's function; a None result means "not attempted", an exception becomes a verdict."""
    if fn is None:
        raise _NotAttempted()
    if not callable(fn):
        raise _Wrong(f"the answer should be a function (def ...), got {type(fn).__name__} {fn!r:.60}.",
                     "define the function in the starter cell and pass its name to the check, without ().")
    try:
        out = fn(*args)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (line {tb[-1].lineno}: {tb[-1].line})" if len(tb) > 1 and tb[-1].line else ""
        raise _Wrong(f"{what} raised {type(exc).__name__}: {exc}{where}",
                     "run it on a small example in a cell of your own and read the error.") from None
    if out is None:
        raise _NotAttempted(f"{what} returns None: write its body (and don't forget `return`).")
    return out


def _as_int(answer, what="an integer"):
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, (bool, np.bool_)):
        raise _Wrong(f"the answer should be {what}, got {answer!r}.")
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, (int, np.integer)):
        return int(answer)
    if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
        return int(answer)
    raise _Wrong(f"the answer should be {what}, got {type(answer).__name__} {answer!r:.60}.",
                 "np.argmax(...) gives an index; int(...) turns a numpy number into a Python int.")


def _as_float(answer, what="a number"):
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise _Wrong(f"the answer should be {what}, got {type(answer).__name__} {answer!r:.60}.")
    value = float(answer)
    if not np.isfinite(value):
        raise _Wrong(f"the answer is {value}, not a finite number.")
    return value


def _as_array(answer, what="an array", shape=None, hint=""):
    if answer is None:
        raise _NotAttempted()
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"the answer should be {what} of numbers, got {type(answer).__name__}.") from None
    if shape is not None and arr.shape != tuple(shape):
        raise _Wrong(f"the answer has shape {arr.shape}, expected {tuple(shape)}.", hint)
    if not np.all(np.isfinite(arr)):
        raise _Wrong("the answer contains NaN or infinite values.", "look for a division by zero.")
    return arr


def _close(a, b, rtol=1e-4, atol=None) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-12)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol if atol is not None else rtol * scale))


def _card(card):
    if card is not None:
        return card
    from ..models import load_model

    return load_model(verbose=False)


def _first_conv(model) -> str:
    from ..activations import conv_layer_names

    return conv_layer_names(model)[0]
