import numpy as np

from q1_softmax import softmax
from q2_gradcheck import gradcheck_naive
from q2_sigmoid import sigmoid, sigmoid_grad


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    y_hat = softmax(np.einsum('vd,d->v', outputVectors, predicted))
    y = np.zeros_like(y_hat)
    y[target] = 1
    cost = -np.log(np.einsum('v,v->', y, y_hat))
    gradPred = np.einsum('vd,v->d', outputVectors, y_hat - y)
    grad = np.einsum('v,d->vd', y_hat - y, predicted)
    return cost, gradPred, grad


def negSamplingCostAndGradient(predicted, target, outputVectors, dataset, K=10):
    idx = [target] + [dataset.sampleTokenIdx() for _ in range(K)]
    signs = np.array([1.0] + [-1.0] * K)
    s = sigmoid(signs * outputVectors[idx].dot(predicted))
    cost = -np.sum(np.log(s))
    coef = (s - 1.0) * signs
    gradPred = np.einsum('k,kd->d', coef, outputVectors[idx])
    grad = np.zeros_like(outputVectors)
    np.add.at(grad, idx, np.einsum('k,d->kd', coef, predicted))
    return cost, gradPred, grad


if __name__ == "__main__":
    W = np.random.randn(6, 4)
    gradcheck_naive(lambda r: softmaxCostAndGradient(r, 1, W, None)[:2], np.random.randn(4))
