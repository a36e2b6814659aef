"""Recurrent networks on the parity task, from scratch (numpy) and in Keras.

Used by notebooks 05_rnn_motivation and 06_rnn_unrolling (and their widgets,
``helpers.widgets.rnn``; their exercises, ``helpers.exercises.parity`` and
``helpers.exercises.unrolling``).

The running example is the lecture's: "output YES if the number of 1s is odd".
A bit string ``x_1 ... x_T`` has *running parity* ``p_t = (x_1 + ... + x_t) mod 2``
and the answer for the whole string is ``p_T`` (1 = YES, odd number of ones).

Conventions (the same as ``keras.layers.SimpleRNN``, so weights can be copied
between the two): row vectors, ``a_t = x_t @ W_xh + h_{t-1} @ W_hh + b`` and
``h_t = activation(a_t)``, with ``W_xh`` of shape (n_in, units), ``W_hh`` of
shape (units, units) and ``b`` of shape (units,).

Padded batches use ``PAD_VALUE`` (-1, never a bit) at the steps after the end
of a string, with a boolean mask (N, T) that is True on real steps.

The package, one module per idea (every public name is also here, so
``from helpers import rnn; rnn.parse_bits(...)`` works):

* :mod:`.parity`: bit strings, running parity, random and padded batches (05, 06);
* :mod:`.window`: the best accuracy of a fixed window of the last k bits (05);
* :mod:`.feedforward`: the trained MLP that memorises and the hand-built MLP
  that computes n-bit parity for exactly n bits (05);
* :mod:`.sequence_shapes`: the five input/output shapes as tiny Keras models (tests);
* :mod:`.gru`: the trained GRU, running it on any length, its hidden states (05, 06);
* :mod:`.probe`: reading parity out of hidden states (06);
* :mod:`.cell`: the recurrence in numpy, the hand-built parity RNN, Keras's
  SimpleRNN with the same weights (06);
* :mod:`.bptt`: backpropagation through time, the gradient check, vanishing and
  exploding gradients, clipping (06);
* :mod:`.draw`: the folded and unrolled graphs, running parity over time (05, 06).

Integer arguments are checked by :func:`helpers.inputs.check_int` (one message
everywhere: the argument's name, the allowed range, the value given).
"""
from __future__ import annotations

from .bptt import (clip_by_global_norm, exploding_example, gradient_check, gradient_norms_over_time,
                   last_state_loss, numerical_gradient, relative_error, rnn_bptt, saturation)
from .cell import (handbuilt_parity_rnn, handbuilt_parity_table, handbuilt_parity_weights, init_rnn_weights,
                   keras_simple_rnn, linear, nested_expression, relu, rnn_forward, rnn_step)
from .draw import draw_rnn_cycle, draw_unrolled, plot_running_parity
from .feedforward import (build_parity_mlp, handbuilt_parity_mlp, parity_mlp_weights, predict_fixed_length,
                          train_parity_mlp)
from .gru import (build_parity_gru, gru_hidden_states, parity_accuracy, predict_parity, run_sequence_model,
                  train_parity_gru)
from .parity import (LECTURE_EXAMPLES, PAD_VALUE, all_bit_strings, pad_bits, parity_answer, parity_batch,
                     parse_bits, random_bits, running_parity)
from .probe import linear_probe, principal_components, threshold_accuracy
from .sequence_shapes import SENTIMENT_REVIEWS, SHAPE_EXAMPLES, SHAPE_TASKS, build_shape_model, shape_demo, word_ids
from .window import window_accuracy_empirical, window_accuracy_exact, window_table

__all__ = [
    # parity
    "PAD_VALUE", "LECTURE_EXAMPLES", "parse_bits", "running_parity", "parity_answer", "random_bits",
    "pad_bits", "parity_batch", "all_bit_strings",
    # window
    "window_accuracy_exact", "window_accuracy_empirical", "window_table",
    # feedforward
    "build_parity_mlp", "train_parity_mlp", "predict_fixed_length", "parity_mlp_weights", "handbuilt_parity_mlp",
    # sequence_shapes
    "SHAPE_TASKS", "SHAPE_EXAMPLES", "SENTIMENT_REVIEWS", "build_shape_model", "word_ids", "shape_demo",
    # gru
    "build_parity_gru", "train_parity_gru", "run_sequence_model", "parity_accuracy", "predict_parity",
    "gru_hidden_states",
    # probe
    "linear_probe", "principal_components", "threshold_accuracy",
    # cell
    "rnn_step", "rnn_forward", "nested_expression", "init_rnn_weights", "linear", "relu",
    "handbuilt_parity_weights", "handbuilt_parity_rnn", "handbuilt_parity_table", "keras_simple_rnn",
    # bptt
    "rnn_bptt", "numerical_gradient", "relative_error", "gradient_check", "gradient_norms_over_time",
    "saturation", "last_state_loss", "clip_by_global_norm", "exploding_example",
    # draw
    "draw_rnn_cycle", "draw_unrolled", "plot_running_parity",
]
