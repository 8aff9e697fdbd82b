"""The sequence-model examples (examples/) train past their baselines in a shortened run."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))


def test_gpt_mini_beats_unigram_and_cache_matches():
    import gpt_mini

    import ember

    r = gpt_mini.main(epochs=2, steps=50, batch_size=16, block_size=64, d_model=64, heads=4, layers=2, lr=6e-3,
                      max_bytes=120_000, gen_tokens=0, verbose=False)
    assert r["val_loss"] < r["unigram"] - 0.15, (r["val_loss"], r["unigram"])
    model = r["model"]
    a = gpt_mini.generate(model, b"def ", 20, "greedy", use_cache=True)
    b = gpt_mini.generate(model, b"def ", 20, "greedy", use_cache=False)
    assert a == b and len(a) == 24
    ember.manual_seed(0)
    s = gpt_mini.generate(model, b"import ", 10, "sample", temperature=0.8, top_k=5, top_p=0.9)
    assert len(s) == 17


def test_char_lstm_beats_unigram_baseline():
    import char_lstm

    val, base = char_lstm.main(["--epochs", "1", "--max-chars", "300000", "--steps-per-epoch", "100",
                                "--hidden", "128", "--batch-size", "32", "--seq-len", "32", "--lr", "5e-3",
                                "--gen-len", "30"])
    assert val < base - 0.5, (val, base)
