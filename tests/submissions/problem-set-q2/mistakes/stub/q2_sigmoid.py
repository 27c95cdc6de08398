import numpy as np


def sigmoid(x):
    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE


def sigmoid_grad(f):
    ### YOUR CODE HERE
    raise NotImplementedError
    ### END YOUR CODE
