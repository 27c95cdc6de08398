import numpy as np

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def softmaxCostAndGradient(predicted, target, outputVectors):
    """ 2015 signature: no dataset argument """
    probs = softmax(outputVectors.dot(predicted))
    cost = -np.log(probs[target])
    probs[target] -= 1.
    gradPred = probs.dot(outputVectors)
    grad = probs[:, np.newaxis] * predicted[np.newaxis, :]
    return cost, gradPred, grad


if __name__ == "__main__":
    W = np.random.randn(5, 3)
    gradcheck_naive(lambda r: softmaxCostAndGradient(r, 1, W)[:2], np.random.randn(3))
