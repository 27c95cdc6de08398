import numpy as np

from q1_softmax import softmax


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    # Everything as row vectors, like in the lecture notes.
    r = predicted.reshape(1, -1)              # (1, d)
    y_hat = softmax(r.dot(outputVectors.T))   # (1, V)
    y = np.zeros_like(y_hat)
    y[0, target] = 1
    cost = -np.log(y_hat.dot(y.T))            # (1, 1)
    gradPred = (y_hat - y).dot(outputVectors) # (1, d)
    grad = (y_hat - y).T.dot(r)               # (V, d)
    return cost, gradPred, grad


if __name__ == "__main__":
    print(softmaxCostAndGradient(np.ones(3), 0, np.eye(3), None)[0].shape)
