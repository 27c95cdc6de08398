"""Reference of the built-in two-layer network assignment (rubrics/two-layer-net.toml): plain numpy, float64.

The assignment: a network with one hidden ReLU layer and a softmax output,

    H = relu(X W1 + b1)            X: (N, D), W1: (D, M), b1: (M,)
    P = softmax(H W2 + b2)         W2: (M, C), b2: (C,), one row of class probabilities per example
    L = mean over i of -log P[i, y[i]]

``two_layer_forward(X, W1, b1, W2, b2)`` returns P; ``two_layer_backward(X, y, W1, b1, W2, b2)``
returns ``(L, dW1, db1, dW2, db2)``.  This module holds what the rubric names: the
expected-value functions (called with a case's arguments), the case generators (called as
``gen(rng, **params)``), the property functions of "property" checks (called with the
student's answer and the case's arguments) and the wrong formulas of named mistakes.
It is the worked example of docs/rubrics.md.
"""

from __future__ import annotations

import numpy as np


def _relu(z):
    return np.maximum(z, 0.0)


def _softmax_rows(z):
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=1, keepdims=True)


def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


# --------------------------------------------------------------------------- expected values


def forward(X, W1, b1, W2, b2):  # noqa: N803 - the assignment's names
    """Class probabilities, one row per example: softmax(relu(X W1 + b1) W2 + b2)."""
    X, W1, b1, W2, b2 = _f64(X, W1, b1, W2, b2)
    return _softmax_rows(_relu(X @ W1 + b1) @ W2 + b2)


def _backward(X, y, W1, b1, W2, b2, *, mean=True, relu_mask=True):  # noqa: N803
    """Return (loss, dW1, db1, dW2, db2); the keywords make the wrong formulas."""
    X, W1, b1, W2, b2 = _f64(X, W1, b1, W2, b2)
    y = np.asarray(y, dtype=np.intp)
    n = X.shape[0]
    Z1 = X @ W1 + b1
    H = _relu(Z1)
    P = _softmax_rows(H @ W2 + b2)
    scale = 1.0 / n if mean else 1.0
    loss = -np.sum(np.log(P[np.arange(n), y])) * scale
    dZ2 = P.copy()
    dZ2[np.arange(n), y] -= 1.0
    dZ2 *= scale
    dW2 = H.T @ dZ2
    db2 = dZ2.sum(axis=0)
    dH = dZ2 @ W2.T
    dZ1 = dH * (Z1 > 0) if relu_mask else dH
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0)
    return np.float64(loss), dW1, db1, dW2, db2


def loss(X, y, W1, b1, W2, b2):  # noqa: N803
    """The mean cross-entropy of the network's predictions."""
    return _backward(X, y, W1, b1, W2, b2)[0]


def grad_W1(X, y, W1, b1, W2, b2):  # noqa: N802, N803
    """∂L/∂W1."""
    return _backward(X, y, W1, b1, W2, b2)[1]


def grad_b1(X, y, W1, b1, W2, b2):  # noqa: N803
    """∂L/∂b1."""
    return _backward(X, y, W1, b1, W2, b2)[2]


def grad_W2(X, y, W1, b1, W2, b2):  # noqa: N802, N803
    """∂L/∂W2."""
    return _backward(X, y, W1, b1, W2, b2)[3]


def grad_b2(X, y, W1, b1, W2, b2):  # noqa: N803
    """∂L/∂b2."""
    return _backward(X, y, W1, b1, W2, b2)[4]


# --------------------------------------------------------------------------- case generators


def _weights(rng, d, m, c, scale):
    W1 = rng.normal(0.0, scale / np.sqrt(d), size=(d, m))
    b1 = rng.normal(0.0, 0.1, size=m)
    W2 = rng.normal(0.0, scale / np.sqrt(m), size=(m, c))
    b2 = rng.normal(0.0, 0.1, size=c)
    return W1, b1, W2, b2


def gen_forward(rng, n, d, m, c, scale=1.0, offset=0.0):
    """(X, W1, b1, W2, b2): n examples of d features, m hidden units, c classes; `offset` shifts b2."""
    X = rng.normal(0.0, 1.0, size=(n, d))
    W1, b1, W2, b2 = _weights(rng, d, m, c, scale)
    return X, W1, b1, W2, b2 + offset


def gen_backward(rng, n, d, m, c, scale=1.0):
    """(X, y, W1, b1, W2, b2): as gen_forward, with integer labels y in [0, c)."""
    X = rng.normal(0.0, 1.0, size=(n, d))
    y = rng.integers(0, c, size=n)
    W1, b1, W2, b2 = _weights(rng, d, m, c, scale)
    return X, y, W1, b1, W2, b2


# --------------------------------------------------------------------------- properties


def rows_sum_to_one(got, X, W1, b1, W2, b2):  # noqa: N803
    """Each row of the answer is a probability distribution: non-negative, summing to 1."""
    p = np.asarray(got, dtype=np.float64)
    n = np.shape(X)[0]
    if p.ndim != 2 or p.shape[0] != n:
        return False, f"expected one row of probabilities per example ({n} rows); got shape {p.shape}."
    sums = p.sum(axis=1)
    if not np.all(np.isfinite(p)):
        return False, "the probabilities hold nan or inf."
    if np.any(p < 0):
        return False, "some probabilities are negative."
    if not np.allclose(sums, 1.0, rtol=0.0, atol=1e-6):
        return False, f"the rows sum to between {sums.min():.6g} and {sums.max():.6g}; each must sum to 1."
    return True, "every row is a probability distribution (non-negative, summing to 1)."


def step_decreases_loss(got, X, y, W1, b1, W2, b2):  # noqa: N803
    """A small step against the returned gradients lowers the true loss: they point uphill, as gradients do."""
    _, dW1, db1, dW2, db2 = got
    grads = _f64(dW1, db1, dW2, db2)
    params = _f64(W1, b1, W2, b2)
    if any(g.shape != p.shape for g, p in zip(grads, params)):
        return False, "the gradients do not have the shapes of W1, b1, W2 and b2."
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    if not np.isfinite(norm) or norm == 0.0:
        return False, "the gradients are all zero, or not finite: a step along them changes nothing."
    step = 1e-3 / norm
    before = loss(X, y, *params)
    after = loss(X, y, *[p - step * g for p, g in zip(params, grads)])
    if after < before:
        return True, "a small step against your gradients lowers the loss."
    return False, f"a small step against your gradients raises the loss ({before:.6g} -> {after:.6g})."


# --------------------------------------------------------------------------- wrong formulas (named mistakes)


def loss_summed(X, y, W1, b1, W2, b2):  # noqa: N803
    """The loss summed over the examples instead of averaged."""
    return _backward(X, y, W1, b1, W2, b2, mean=False)[0]


def grad_W1_summed(X, y, W1, b1, W2, b2):  # noqa: N802, N803
    return _backward(X, y, W1, b1, W2, b2, mean=False)[1]


def grad_W2_summed(X, y, W1, b1, W2, b2):  # noqa: N802, N803
    return _backward(X, y, W1, b1, W2, b2, mean=False)[3]


def grad_W1_no_relu_mask(X, y, W1, b1, W2, b2):  # noqa: N802, N803
    """∂L/∂W1 without the ReLU's derivative (the gradient flows through negative units too)."""
    return _backward(X, y, W1, b1, W2, b2, relu_mask=False)[1]


def grad_b1_no_relu_mask(X, y, W1, b1, W2, b2):  # noqa: N803
    return _backward(X, y, W1, b1, W2, b2, relu_mask=False)[2]
