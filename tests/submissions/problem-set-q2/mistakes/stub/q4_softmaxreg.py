import numpy as np


def getSentenceFeature(tokens, wordVectors, sentence):
    sentVector = np.zeros((wordVectors.shape[1],))
    ### YOUR CODE HERE
    pass
    ### END YOUR CODE
    return None


def softmaxRegression(features, labels, weights, regularization=0.0, nopredictions=False):
    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE
