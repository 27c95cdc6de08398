import numpy as np

from q1_softmax import softmax
from q2_sigmoid import sigmoid, sigmoid_grad


def forward_backward_prop(data, labels, params, dimensions):
    """Averaged over the batch, cost and gradient alike; loops over the examples."""
    Dx, H, Dy = dimensions
    ofs = 0
    W1 = params[ofs:ofs + Dx * H].reshape(Dx, H)
    ofs += Dx * H
    b1 = params[ofs:ofs + H].reshape(1, H)
    ofs += H
    W2 = params[ofs:ofs + H * Dy].reshape(H, Dy)
    ofs += H * Dy
    b2 = params[ofs:ofs + Dy].reshape(1, Dy)
    N = data.shape[0]
    cost = 0.0
    gW1, gb1 = np.zeros_like(W1), np.zeros_like(b1)
    gW2, gb2 = np.zeros_like(W2), np.zeros_like(b2)
    for n in range(N):
        x = data[n:n + 1]
        y = labels[n:n + 1]
        h = sigmoid(x.dot(W1) + b1)
        p = softmax(h.dot(W2) + b2)
        cost += -np.log(p[0, np.argmax(y)]) / N
        d2 = (p - y) / N
        gW2 += h.T.dot(d2)
        gb2 += d2
        d1 = d2.dot(W2.T) * sigmoid_grad(h)
        gW1 += x.T.dot(d1)
        gb1 += d1
    grad = np.concatenate((gW1.flatten(), gb1.flatten(), gW2.flatten(), gb2.flatten()))
    return cost, grad
