"""The examples train to the accuracy the issues ask for."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))


def test_seed_simplenn_trains_on_digits():
    import seed_simplenn

    assert seed_simplenn.main(num_epochs=20) >= 0.95


def test_lenet_trains_on_digits():
    import lenet_digits

    assert lenet_digits.main(verbose=False) >= 0.97
