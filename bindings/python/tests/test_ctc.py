"""CTC through the Python API: layouts, workspace, empty labels, errors (status,
message, subclass) found by libloss and by the binding."""

from __future__ import annotations

import numpy as np
import pytest

import libloss
from libloss import Status

from test_api import expect


def ctc_inputs():
    rng = np.random.default_rng(5)
    acts = rng.normal(size=(6, 2, 4))  # [time, batch, alphabet]
    return acts, np.array([1, 2, 3, 3]), np.array([2, 2]), np.array([6, 5])


def test_ctc_layouts_workspace_and_empty_labels():
    acts, labels, ll, il = ctc_inputs()
    loss, grad = libloss.ctc(acts, labels, ll, il, from_logits=True, reduction="none")
    assert loss.shape == (2,) and grad.shape == acts.shape and np.all(grad[5, 1] == 0)  # frame past input length
    loss_bf, grad_bf = libloss.ctc(acts.transpose(1, 0, 2), labels, ll, il, from_logits=True, reduction="none",
                                   batch_first=True)
    assert np.array_equal(loss_bf, loss) and np.array_equal(grad_bf, grad.transpose(1, 0, 2))
    ws = bytearray(libloss.ctc_workspace_size(6, 2, 4, 2))
    loss_ws, grad_ws = libloss.ctc(acts, labels, ll, il, from_logits=True, reduction="none", workspace=ws)
    assert np.array_equal(loss_ws, loss) and np.array_equal(grad_ws, grad)
    # No labels: the log-probability that every frame is blank.
    log_probs = np.log(np.full((3, 1, 2), 0.5))
    loss, _ = libloss.ctc(log_probs, [], [0], [3], reduction="sum")
    assert loss == pytest.approx(3 * np.log(2), rel=1e-15)


def test_ctc_errors():
    acts, labels, ll, il = ctc_inputs()
    expect(libloss.LabelOutOfRangeError, Status.LABEL_OUT_OF_RANGE,
           lambda: libloss.ctc(acts, [1, 0, 3, 3], ll, il), "loss_ctc_f64: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc(acts, labels, ll, [6, 7]), "loss_ctc_f64: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc(acts, labels, ll, il, workspace=bytearray(8)),
           "loss_ctc_with_workspace_f64: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc(acts[0], labels, ll, il), "libloss.ctc: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc(acts, labels, [2, 2, 0], il), "libloss.ctc: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc(acts, labels[:3], ll, il), "libloss.ctc: labels has 3")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc(acts, labels, [-1, 2], il), "loss_ctc_f64: ")
    expect(libloss.ShapeError, Status.SHAPE, lambda: libloss.ctc_workspace_size(0, 2, 4, 2),
           "loss_ctc_workspace_size: ")
    with pytest.raises(TypeError, match="workspace"):
        libloss.ctc(acts, labels, ll, il, workspace=bytes(4096))
