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

    h = sigmoid(data.dot(W1) + b1)
    y = softmax(h.dot(W2) + b2)
    cost = -np.sum(labels * np.log(y)) / data.shape[0]
    d2 = y - labels
    gradW2 = h.T.dot(d2)
    gradb2 = np.sum(d2, axis=0)
    d1 = d2.dot(W2.T) * sigmoid_grad(h)
    gradW1 = data.T.dot(d1)
    gradb1 = np.sum(d1, axis=0)
    grad = np.concatenate((gradW1.flatten(), gradb1.flatten(), gradW2.flatten(), gradb2.flatten()))
    return cost, grad
