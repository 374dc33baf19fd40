"""timing.py — the timing loop the PyTorch peers share (clip_torch.py, st_torch.py).

best_rate(fn, items, seconds): one warm-up call, then three rounds of calling fn for a third of
`seconds` each; returns the best round's items per second. Taking the best of three is what the
vitrine side does too (src/cli/cmd_bench.c), so a burst of load from a neighbour on this shared
machine hurts both sides alike rather than one.
"""
import time


def best_rate(fn, items, seconds):
    fn()
    best = 0.0
    for _ in range(3):
        t0, calls = time.perf_counter(), 0
        while True:
            fn()
            calls += 1
            t = time.perf_counter() - t0
            if t >= seconds / 3:
                break
        best = max(best, calls * items / t)
    return best
