import numpy as np
import random


def gradcheck_naive(f, x):
    rndstate = random.getstate()
    ### YOUR CODE HERE
    pass
    ### END YOUR CODE
