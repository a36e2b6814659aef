"""The verdict machinery shared by every exercise: units, known mistakes, checks that never raise.

An exercise is one :class:`Exercise` unit, declared by the :func:`exercise`
decorator on its check body (number, title, level and the ``solve`` line are
written there and nowhere else). The body returns a note for "correct",
raises :class:`_NotAttempted` or :class:`_Wrong`; the decorator turns that
into the printed verdict, records it (:func:`results`) and returns
True / None / False. Typical wrong answers are data: a list of
:class:`Mistake` tried in order by :func:`reject_known`.

Answers are parsed strictly: :func:`_as_int` never truncates (32.5 is no
integer, 32.0 is), and NaN / infinite values are refused with a message that
names them (:func:`_reject_non_finite`) - NaN compares false with everything,
so a check that let one through could call it correct. The student's
functions run through :func:`_call`: on copies of their array arguments (an
input changed in place is reported), within a time budget of
:data:`TIME_LIMIT` seconds per check.
"""
from __future__ import annotations

import functools
import operator
import re
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)

CORRECT, NOT_ATTEMPTED, WRONG = "correct", "not attempted yet", "not yet"
LEVELS = ("easy", "medium", "harder")

_RESULTS: dict = {}
_UNITS: dict = {}

#: Seconds the student's own code may run in one check, summed over all the calls that check makes
#: (a budget per check, not per call: running_parity is called about 60 times, the other functions
#: 1 to 9 times, and the reference solutions need milliseconds in all). Past it the function is
#: stopped and the verdict is "not yet ... did not finish within N s (an endless loop?)"; the kernel
#: stays usable. Enforced with SIGALRM (``signal.setitimer``) in the main thread, where Jupyter runs
#: cells; on a platform without SIGALRM (Windows) or in another thread the function runs without a
#: limit. Python code is stopped at once (also in time.sleep); one long numpy or TensorFlow call is
#: stopped when it returns. None or 0: no limit.
TIME_LIMIT = 10.0

_CLOCK = {"seconds": 0.0, "calls": 0}       # the student's time and calls in the running check


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
            _CLOCK.update(seconds=0.0, calls=0)          # a fresh time budget for every check
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


class _TimeUp(BaseException):
    """Raised in the student's code when the check's time budget is spent (a BaseException, so that
    ``except Exception`` in the student's code does not swallow it)."""


def _alarm_usable() -> bool:
    return (hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread())


def _run_limited(fn, args, seconds, state):
    """``fn(*args)``, interrupted by :class:`_TimeUp` after ``seconds`` (SIGALRM, main thread only).

    ``state["expired"]`` turns True when the alarm went off, even if the student's code swallowed
    the exception (a bare ``except:``) and returned. The previous SIGALRM handler and a timer
    already running (e.g. a test runner's) are put back in any case; such a timer is paused while
    the student's code runs and resumes with what it had left. Without SIGALRM, in another thread,
    with a handler not installed from Python, or with ``seconds`` None: no limit.
    """
    if seconds is None or not _alarm_usable():
        return fn(*args)
    previous = signal.getsignal(signal.SIGALRM)
    if previous is None:
        return fn(*args)
    started = time.monotonic()
    deadline = started + seconds

    def on_alarm(signum, frame):
        if state["armed"]:
            state["armed"], state["expired"] = False, True
            raise _TimeUp()
        if time.monotonic() < deadline - 1e-3 and callable(previous):    # an outer timer's alarm, not ours
            previous(signum, frame)

    outer = (0.0, 0.0)
    signal.signal(signal.SIGALRM, on_alarm)
    try:
        outer = signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            state["armed"] = True
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
            return fn(*args)
        finally:
            state["armed"] = False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0] > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.monotonic() - started), 1e-6), outer[1])


def _timed_out(what: str, limit: float) -> _Wrong:
    calls = _CLOCK["calls"]
    where = "" if what == "your function" else f" - stopped in {what}"
    if calls > 1:
        where += f", its call number {calls} in this check (the {limit:g} s are for all the calls together)"
    return _Wrong(f"your function did not finish within {limit:g} s (an endless loop?){where}.",
                  "make sure every loop ends: a `while` condition must become False (does its variable change "
                  "inside the loop?). Try the function on a small example in a cell of your own; "
                  "Kernel > Interrupt stops a cell that hangs.")


def _arg_names(what: str, n: int) -> list:
    """The argument names in ``what`` ("conv_response(x, kernel, bias)" -> x, kernel, bias), else "argument i"."""
    m = re.fullmatch(r"[\w.]+\((.*)\)", what)
    names = [a.strip() for a in m.group(1).split(",")] if m else []
    return names if len(names) == n else [f"argument {i + 1}" for i in range(n)]


def _unchanged(copy, original) -> bool:
    if copy.shape != original.shape or copy.dtype != original.dtype:
        return False
    try:
        return bool(np.array_equal(copy, original, equal_nan=True))
    except TypeError:                       # equal_nan needs numbers
        return bool(np.array_equal(copy, original))


def _call(fn, *args, what: str = "your function", in_place=()):
    """Call the student's function inside a check; a None result means "not attempted", an exception,
    an endless loop or a changed input becomes a verdict.

    The function gets copies of the numpy arrays among ``args`` (the check keeps the originals) and
    runs within what is left of the check's :data:`TIME_LIMIT`. An array input that the function
    changed in place (values, shape or dtype) is reported: the notebooks call these functions on the
    student's own data, which an in-place change would corrupt. Numbers cannot change in place.

    Args:
        fn: the student's function (None: not attempted).
        *args: its arguments.
        what: the call as the student reads it, e.g. "conv_response(x, kernel, bias)"; the names in
            the parentheses name the changed input.
        in_place: :class:`Mistake` list matched against the name of a changed input, for an
            exercise's own message (the general one otherwise).
    """
    if fn is None:
        raise _NotAttempted()
    if not callable(fn):
        raise _Wrong(f"the answer should be a function (def ...), got {type(fn).__name__} {fn!r:.60}.",
                     "define the function in the starter cell and pass its name to the check, without ().")
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    limit = TIME_LIMIT
    left = limit - _CLOCK["seconds"] if limit and _alarm_usable() else None      # no limit where no SIGALRM
    state = {"armed": False, "expired": False}
    _CLOCK["calls"] += 1
    started = time.monotonic()
    try:
        if left is not None and left <= 0:
            raise _TimeUp()
        out = _run_limited(fn, copies, left, state)
    except _TimeUp:
        raise _timed_out(what, limit) from None
    except Exception as exc:
        if state["expired"]:                # the student's code turned the interruption into another error
            raise _timed_out(what, limit) from None
        tb = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename != __file__]
        where = f" (line {tb[-1].lineno}: {tb[-1].line})" if tb and tb[-1].line else ""
        raise _Wrong(f"{what} raised {type(exc).__name__}: {exc}{where}",
                     "run it on a small example in a cell of your own and read the error.") from None
    finally:
        _CLOCK["seconds"] += time.monotonic() - started
    if state["expired"]:                    # it swallowed the interruption and returned
        raise _timed_out(what, limit)
    for name, arg, copy in zip(_arg_names(what, len(args)), args, copies):
        if isinstance(arg, np.ndarray) and not _unchanged(copy, arg):
            reject_known(name, in_place)
            raise _Wrong(f"your function changed its input {name} in place.",
                         f"leave {name} as it was and return a new array: `{name} -= ...`, `{name} *= ...` or "
                         f"`{name}[...] = ...` write into the caller's array (work on {name}.copy() if you must).")
    if out is None:
        raise _NotAttempted(f"{what} returns None: write its body (and don't forget `return`).")
    return out


_NON_FINITE_HINT = "look for a division by zero (x / 0 is inf, 0 / 0 is NaN) or a NaN typed in by hand."


def _reject_non_finite(values, name: str = "the answer", hint: str = _NON_FINITE_HINT):
    """Return ``values`` as a float64 array; raise :class:`_Wrong` naming the first NaN / infinite entry.

    NaN compares false with everything, so a check comparing "is it wrong?" would let it through.
    Messages: "<name> is nan, not a finite number." for one number, "<name> contains NaN or infinite
    values (inf at index 2, 1 in all)." for an array.
    """
    arr = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(arr)
    if not bad.any():
        return arr
    if arr.ndim == 0:
        raise _Wrong(f"{name} is {float(arr)}, not a finite number.", hint)
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    at = first[0] if len(first) == 1 else first
    raise _Wrong(f"{name} contains NaN or infinite values ({arr[first]} at index {at}, {int(bad.sum())} in all).",
                 hint)


class _NotInteger(Exception):
    """``value`` is no integer: ``kind`` is "bool", "type", "non-finite" or "fraction"; str() completes a sentence."""

    def __init__(self, kind: str, reason: str, value=None):
        super().__init__(reason)
        self.kind, self.value = kind, value


def _integer(value) -> int:
    """``int(value)`` for an int, or a float that is exactly an integer (32.0); never truncates or rounds.

    A 0-d array or tensor of numbers counts as its number. Raises :class:`_NotInteger` otherwise
    ("32.5 is not a whole number", "nan is not a finite number", "True is a bool, not a number").
    """
    if not isinstance(value, (bool, int, float, str, bytes, np.generic)):
        try:
            arr = np.asarray(value)
        except Exception:
            arr = None
        if arr is not None and arr.ndim == 0 and arr.dtype.kind in "biuf":
            value = arr.item()
    if isinstance(value, (bool, np.bool_)):
        raise _NotInteger("bool", f"{value!r} is a bool, not a number")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise _NotInteger("non-finite", f"{float(value)} is not a finite number")
        if float(value).is_integer():
            return int(value)
        raise _NotInteger("fraction", f"{float(value)!r} is not a whole number")
    raise _NotInteger("type", f"{value!r:.40} is a {type(value).__name__}, not a number", value)


_INT_HINT = "np.argmax(...) gives an index; int(...) turns a numpy number into a Python int."


def _as_int(answer, what="an integer"):
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, (bool, np.bool_)):
        raise _Wrong(f"the answer should be {what}, got {answer!r}.")
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    try:
        return _integer(answer)
    except _NotInteger as exc:
        if exc.kind == "non-finite":
            raise _Wrong(f"the answer should be {what}: {exc}.", _NON_FINITE_HINT) from None
        if exc.kind == "fraction":
            raise _Wrong(f"the answer should be {what}: {exc}.",
                         "an index or a count is a whole number: look for a division or a mean on the way "
                         "(int(...) would only hide it).") from None
        raise _Wrong(f"the answer should be {what}, got {type(answer).__name__} {answer!r:.60}.", _INT_HINT) from None


def _as_float(answer, what="a number", name="the answer"):
    if answer is None:
        raise _NotAttempted()
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.item()
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise _Wrong(f"{name} should be {what}, got {type(answer).__name__} {answer!r:.60}.")
    try:
        value = float(answer)
    except OverflowError:                   # an int beyond 1.8e308
        raise _Wrong(f"{name} is an integer of {len(str(abs(answer)))} digits, not a finite number.",
                     _NON_FINITE_HINT) from None
    return float(_reject_non_finite(value, name))


def _as_array(answer, what="an array", shape=None, hint=""):
    if answer is None:
        raise _NotAttempted()
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Wrong(f"the answer should be {what} of numbers, got {type(answer).__name__}.") from None
    if shape is not None and arr.shape != tuple(shape):
        raise _Wrong(f"the answer has shape {arr.shape}, expected {tuple(shape)}.", hint)
    return _reject_non_finite(arr, "the answer", "look for a division by zero.")


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
