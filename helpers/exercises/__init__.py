"""Exercises with automatic feedback for the lesson notebooks 01-06.

Every lesson notebook ends with a section "Exercises": for each exercise a
statement (heading "### Exercise 1.2 · <title> (<level>)"), a starter cell
(``answer = None`` or a function stub that returns None) and a check cell
calling ``exercises.check_<name>(answer, ...)``.

A check **prints** one verdict and returns it:

* ``None`` - "not attempted yet" (the answer is still None, or the stub still
  returns None);
* ``True`` - "correct";
* ``False`` - "not yet": what is wrong, and a hint pointing at the idea.

A check never raises, whatever the answer (so an unsolved notebook still runs
from top to bottom, and a wrong answer lets the student keep going); errors
raised by the student's own function are reported as part of the verdict.
So are a function that does not finish within ``_core.TIME_LIMIT`` seconds (10 s
for all the calls of one check; an endless loop is stopped and the kernel goes
on) and a function that changes its input arrays in place (it is given
copies). NaN, infinite and non-integer values are never graded correct
(32.0 counts as an integer, 32.5 does not).
The truth is always computed here, from the model in use (VGG16 or
ShapesNet), not stored.

One module per lesson notebook; in it each exercise is one unit, its
:class:`Exercise` (number, title, level, ``solve`` line) declared on its
check, its known wrong answers a list of :class:`Mistake` (``_core`` holds
the machinery):

* 01 ``activations``: ``layer_shape``, ``blue_channel``, ``strongest_channels``
* 02 ``filters``: ``kernel_size``, ``vertical_edge``, ``conv_response``
* 03 ``deepvis``: ``l2_decay``, ``decay_half_life``, ``total_variation``
* 04 ``gradcam``: ``gradcam_weights``, ``gradcam_map``, ``before_softmax``, ``runner_up_weights``
* 05 ``parity``: ``window_3_of_10``, ``running_parity``, ``window_accuracy``
* 06 ``unrolling``: ``rnn_params``, ``h2_by_hand``, ``threshold_parity``

``units()`` lists the exercises (``tools/run_solutions.py`` takes the
``solve`` lines from it); ``results()`` gives the verdict of every check run
so far in this process (``make solutions`` uses it to show that each exercise
can be solved in its notebook). The reference solutions live in
``solutions/`` and are never imported by the notebooks.
"""
from ._core import CORRECT, NOT_ATTEMPTED, WRONG, Exercise, Mistake, reset_results, results, units
from .activations import check_blue_channel, check_layer_shape, check_strongest_channels
from .filters import check_conv_response, check_kernel_size, check_vertical_edge
from .deepvis import check_decay_half_life, check_l2_decay, check_total_variation
from .gradcam import (SOFTMAX_CHOICES, check_before_softmax, check_gradcam_map, check_gradcam_weights,
                      check_runner_up_weights, gradcam_data)
from .parity import check_running_parity, check_window_3_of_10, check_window_accuracy
from .unrolling import check_h2_by_hand, check_rnn_params, check_threshold_parity

#: name -> (number shown to the student, notebook prefix)
EXERCISES = {name: (unit.number, unit.notebook) for name, unit in units().items()}

__all__ = ["EXERCISES", "results", "reset_results", "units", "gradcam_data", "SOFTMAX_CHOICES",
           "CORRECT", "NOT_ATTEMPTED", "WRONG", "Exercise", "Mistake"] + [f"check_{name}" for name in EXERCISES]
