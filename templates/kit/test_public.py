"""The public checks of this kit's assignment: one test per check of the public rubric.

Run ``pytest`` in this folder (see README.md).  Passing these public checks is not your
final grade: hidden checks on other inputs are graded after you hand in.
"""


def test_public_check(check, judge):
    """Call your function on the check's case and compare with the expected values."""
    judge(check)
