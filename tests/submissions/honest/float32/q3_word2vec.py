import numpy as np

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    predicted = predicted.astype(np.float32)
    outputVectors = outputVectors.astype(np.float32)
    y_hat = softmax(outputVectors @ predicted)
    cost = -np.log(y_hat[target])
    d = y_hat.copy()
    d[target] -= np.float32(1)
    gradPred = outputVectors.T @ d
    grad = d[:, None] * predicted[None, :]
    return cost, gradPred, grad


if __name__ == "__main__":
    W = np.random.randn(5, 3)
    print(softmaxCostAndGradient(np.random.randn(3), 1, W, None))
