"""The CUDA caching allocator's bookkeeping (csrc/core/cuda_block_pool.h), run on the
CPU over a fake device through _C._test_block_pool: size rounding and pools, block
splitting and merging, best fit, reuse without device mallocs in a steady state,
stream separation, record_stream events, empty_cache and the out-of-memory retry."""
import pytest

from ember import _C

KiB, MiB = 1 << 10, 1 << 20


def run(*lines, ok=True):
    r = _C._test_block_pool("\n".join(lines))
    if ok:
        assert r["error"] is None, r["error"]
    return r


def stat(r, key):
    return r["stats"][key]


def test_small_request_rounds_and_takes_a_2mib_segment():
    r = run("malloc a 1")
    assert r["device_mallocs"] == [2 * MiB]
    assert stat(r, "allocated_bytes.all.current") == 512
    assert stat(r, "requested_bytes.all.current") == 1
    assert stat(r, "reserved_bytes.all.current") == 2 * MiB
    assert stat(r, "reserved_bytes.small_pool.current") == 2 * MiB
    assert stat(r, "segment.small_pool.current") == 1
    assert stat(r, "num_device_alloc") == 1
    assert r["free_blocks"] == 1  # the rest of the segment, split off


def test_small_blocks_share_a_segment_and_are_adjacent():
    r = run("malloc a 1000", "malloc b 1000", "malloc c 513")
    p = r["ptrs"]
    assert r["device_mallocs"] == [2 * MiB]
    assert p["b"] - p["a"] == 1024 and p["c"] - p["b"] == 1024
    assert stat(r, "allocated_bytes.all.current") == 3 * 1024


def test_large_pool_segment_sizes():
    # (one stream each, so no request fits in another's segment)
    r = run("malloc a 1048577 1", "malloc b 9437184 2", "malloc c 10485760 3", "malloc d 11534337 4")
    # 1 MiB + 1 and 9 MiB: 20 MiB segments; 10 MiB: exactly; 11 MiB + 1: rounded up to 2 MiB
    assert r["device_mallocs"] == [20 * MiB, 20 * MiB, 10 * MiB, 12 * MiB]
    assert stat(r, "reserved_bytes.large_pool.current") == 62 * MiB
    assert stat(r, "segment.large_pool.current") == 4
    assert stat(r, "reserved_bytes.small_pool.current") == 0


def test_large_block_is_split_and_the_rest_reused():
    r = run("malloc a 4194304", "malloc b 4194304")
    assert r["device_mallocs"] == [20 * MiB]  # b fits in the rest of a's segment
    assert r["ptrs"]["b"] - r["ptrs"]["a"] == 4 * MiB


def test_large_remainder_of_1mib_or_less_is_not_split():
    # 19.5 MiB from a 20 MiB segment: the 0.5 MiB rest stays with the block
    r = run("malloc a 20447232")
    assert stat(r, "allocated_bytes.all.current") == 20 * MiB
    assert r["free_blocks"] == 0


def test_free_merges_neighbours_back_into_one_block():
    r = run("malloc a 1000", "malloc b 1000", "malloc c 1000", "free a", "free c", "free b")
    assert r["free_blocks"] == 1  # a, b, c and the tail: one 2 MiB block again
    assert stat(r, "allocated_bytes.all.current") == 0
    assert stat(r, "reserved_bytes.all.current") == 2 * MiB
    # a freed middle block does not merge with allocated neighbours
    r = run("malloc a 1000", "malloc b 1000", "malloc c 1000", "free b")
    assert r["free_blocks"] == 2


def test_best_fit_picks_the_smallest_block_that_fits():
    r = run(
        "malloc a 8192", "malloc g1 512", "malloc b 4096", "malloc g2 512",
        "free a", "free b",       # free holes of 8 KiB and 4 KiB (kept apart by g1/g2)
        "malloc c 3000",          # -> the 4 KiB hole (b's place)
    )
    assert r["ptrs"]["c"] == r["ptrs"]["b"]
    r = run("malloc a 8192", "malloc g1 512", "malloc b 4096", "malloc g2 512", "free a", "free b",
            "malloc c 6000")      # only the 8 KiB hole fits
    assert r["ptrs"]["c"] == r["ptrs"]["a"]


def test_reuse_without_device_malloc_in_a_steady_state():
    step = ["malloc x 400000", "malloc y 3000000", "malloc z 64", "free x", "malloc w 400000",
            "free y", "free z", "free w"]
    r = run(*(step * 50))
    assert stat(r, "num_device_alloc") == 2  # one small and one large segment, then reuse
    assert stat(r, "allocation.all.allocated") == 200
    assert stat(r, "allocated_bytes.all.current") == 0
    assert stat(r, "allocated_bytes.all.peak") > 0


def test_same_size_reuses_the_same_address():
    r = run("malloc a 4194304", "free a", "malloc b 4194304")
    assert r["ptrs"]["a"] == r["ptrs"]["b"]
    assert stat(r, "num_device_alloc") == 1


def test_streams_do_not_share_blocks():
    r = run("malloc a 1000 1", "free a", "malloc b 1000 2", "malloc c 1000 1")
    assert stat(r, "num_device_alloc") == 2  # stream 2 gets its own segment
    assert r["ptrs"]["c"] == r["ptrs"]["a"]  # stream 1's block is reused on stream 1
    assert r["ptrs"]["b"] != r["ptrs"]["a"]


def test_record_stream_delays_reuse_until_the_events_complete():
    r = run("malloc a 4194304 1", "record a 2", "record a 3", "record a 1", "free a",
            "malloc b 4194304 1")
    assert r["events_created"] == 2          # streams 2 and 3 (1 is the block's own stream)
    assert r["pending_events"] == 2
    assert r["ptrs"]["b"] != r["ptrs"]["a"]  # a is not free yet
    assert stat(r, "active_bytes.all.current") == 8 * MiB  # a (awaiting events) + b
    assert stat(r, "allocated_bytes.all.current") == 4 * MiB
    r = run("malloc a 4194304 1", "record a 2", "free a", "complete", "malloc b 4194304 1")
    assert r["ptrs"]["b"] == r["ptrs"]["a"]  # reused once the event completed
    assert r["pending_events"] == 0 and r["events_destroyed"] == 1


def test_empty_cache_returns_only_whole_free_segments():
    r = run("malloc a 1000", "malloc b 4194304", "malloc c 4194304", "free a", "free c", "empty_cache")
    # the small segment is entirely free -> released; the large one still holds b
    assert r["live_device_bytes"] == 20 * MiB
    assert stat(r, "reserved_bytes.all.current") == 20 * MiB
    assert stat(r, "num_device_free") == 1
    assert stat(r, "segment.all.current") == 1
    r = run("malloc a 1000", "record a 5", "free a", "empty_cache")  # waits for the event first
    assert r["live_device_bytes"] == 0 and r["pending_events"] == 0


def test_oom_frees_cached_segments_and_retries_once():
    # capacity 40 MiB: a 20 MiB segment cached (free), then a request needing a
    # second 30 MiB segment fails, the cache is released and the retry succeeds.
    r = run("limit 41943040", "malloc a 4194304", "free a", "malloc b 31457280")
    assert stat(r, "num_alloc_retries") == 1
    assert stat(r, "num_device_free") == 1
    assert stat(r, "num_ooms") == 0
    assert r["live_device_bytes"] == 30 * MiB


def test_oom_message_after_the_retry_fails():
    r = run("limit 41943040", "malloc a 4194304", "malloc b 31457280", ok=False)
    msg = r["error"]
    assert msg.startswith("CUDA out of memory. Tried to allocate 30.00 MiB (GPU 0; 0.04 GiB total capacity; ")
    assert "GiB already allocated" in msg and "GiB reserved by ember)" in msg
    assert stat(r, "num_alloc_retries") == 1 and stat(r, "num_ooms") == 1
    # a transient failure (the driver fails once) is absorbed by the retry
    r = run("fail 1", "malloc a 1000")
    assert r["error"] is None and stat(r, "num_alloc_retries") == 1


def test_peaks_and_reset():
    r = run("malloc a 4194304", "malloc b 4194304", "free a", "free b", "reset_peak", "malloc c 1000")
    assert stat(r, "allocated_bytes.all.peak") == 1024
    assert stat(r, "reserved_bytes.all.peak") == 22 * MiB
    r = run("malloc a 4194304", "malloc b 4194304", "free a", "free b")
    assert stat(r, "allocated_bytes.all.peak") == 8 * MiB
    assert stat(r, "allocated_bytes.large_pool.freed") == 8 * MiB


def test_torch_key_names_present():
    r = run("malloc a 1")
    for key in ("allocated_bytes.all.current", "allocated_bytes.all.peak", "reserved_bytes.all.current",
                "reserved_bytes.all.peak", "active_bytes.all.current", "requested_bytes.all.current",
                "allocation.all.current", "segment.all.current", "num_alloc_retries", "num_ooms",
                "num_device_alloc", "num_device_free"):
        assert key in r["stats"], key


def test_script_errors():
    assert "unknown command" in run("frobnicate", ok=False)["error"]
    assert "unknown block" in run("free nope", ok=False)["error"]
    assert "not allocated" in run("malloc a 10", "free a", "free a", ok=False)["error"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_sequences_keep_blocks_disjoint_and_merge_back(seed):
    import random

    rnd = random.Random(seed)
    lines, live, sizes = [], [], {}
    for i in range(600):
        if live and rnd.random() < 0.45:
            name = live.pop(rnd.randrange(len(live)))
            if rnd.random() < 0.2:
                lines.append(f"record {name} {rnd.choice([7, 8])}")
            lines.append(f"free {name}")
        else:
            name = f"b{i}"
            n = rnd.choice([rnd.randint(1, 4096), rnd.randint(4097, 1 << 20), rnd.randint((1 << 20) + 1, 12 << 20)])
            lines.append(f"malloc {name} {n} {rnd.choice([0, 0, 0, 3])}")
            live.append(name)
            sizes[name] = n
        if rnd.random() < 0.05:
            lines.append("complete")
    r = run(*lines)
    spans = sorted((r["ptrs"][n], r["ptrs"][n] + (max(512, (sizes[n] + 511) // 512 * 512))) for n in live)
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        assert a1 <= b0, "live blocks overlap"
    # a large block keeps an unsplit rest of at most 1 MiB (counted as allocated, as in torch)
    alloc = r["stats"]["allocated_bytes.all.current"]
    n_large = sum(1 for n in live if sizes[n] > MiB)
    assert sum(e - s for s, e in spans) <= alloc <= sum(e - s for s, e in spans) + n_large * MiB
    assert r["stats"]["requested_bytes.all.current"] == sum(sizes[n] for n in live)
    # free everything, let the events complete: every segment is one free block again
    r = run(*lines, *[f"free {n}" for n in live], "complete", "malloc probe 1", "free probe")
    assert r["stats"]["allocated_bytes.all.current"] == 0
    assert r["free_blocks"] == r["stats"]["segment.all.current"]
    r = run(*lines, *[f"free {n}" for n in live], "complete", "empty_cache")
    assert r["live_device_bytes"] == 0 and r["stats"]["reserved_bytes.all.current"] == 0
    assert r["events_created"] == r["events_destroyed"]
