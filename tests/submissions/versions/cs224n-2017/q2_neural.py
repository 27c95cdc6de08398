import numpy as np

from q1_softmax import softmax
from q2_sigmoid import sigmoid, sigmoid_grad


def forward_backward_prop(data, labels, params, dimensions):
    ofs = 0
    Dx, H, Dy = (dimensions[0], dimensions[1], dimensions[2])
    W1 = np.reshape(params[ofs:ofs + Dx * H], (Dx, H))
    ofs += Dx * H
    b1 = np.reshape(params[ofs:ofs + H], (1, H))
    ofs += H
    W2 = np.reshape(params[ofs:ofs + H * Dy], (H, Dy))
    ofs += H * Dy
    b2 = np.reshape(params[ofs:ofs + Dy], (1, Dy))

    hidden = sigmoid(data.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    cost = -np.sum(labels * np.log(probs))

    d2 = probs - labels
    gradW2 = hidden.T.dot(d2)
    gradb2 = d2.sum(axis=0)
    d1 = d2.dot(W2.T) * sigmoid_grad(hidden)
    gradW1 = data.T.dot(d1)
    gradb1 = d1.sum(axis=0)
    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(), gradW2.flatten(), gradb2.flatten()))
    return cost, grad
