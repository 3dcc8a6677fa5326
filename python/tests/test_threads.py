"""The loop waits without the GIL, Ctrl-C ends it within half a second and stops the pipeline cleanly, and
stop() from another thread ends a pass."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import feedgraph
from conftest import no_resources_held, small_yaml

# 4 samples per batch at 25 ms each, one reader: a batch every 100 ms.
SLOW = small_yaml(samples=400, batch=4, epochs=1, io_us=25000, extra="concurrency: {read: 1}\nprefetch: 1\n")


def test_other_python_threads_run_while_the_loop_waits():
    counter = [0]
    done = threading.Event()

    def spin():
        while not done.is_set():
            counter[0] += 1

    with feedgraph.Pipeline.from_yaml(SLOW) as pipe:
        it = iter(pipe)
        next(it)
        worker = threading.Thread(target=spin)
        worker.start()
        start = time.monotonic()
        for _ in range(5):
            next(it)  # about 0.5 s of waiting in all
        waited = time.monotonic() - start
        before = counter[0]
        time.sleep(0.2)  # the reference: the main thread asleep, GIL free
        reference = counter[0] - before
        done.set()
        worker.join()
    # Had next() held the GIL, the spinning thread would not have run at all during the wait (0 spins). The
    # bound is a twentieth of the reference rate, so that other processes on a loaded machine (ctest -j) do not
    # make it fail: it tells no GIL from the GIL, not how fast the spinner ran.
    spins_while_waiting = before
    assert waited > 0.3
    assert spins_while_waiting > 0.05 * reference * (waited / 0.2)


def test_stop_from_another_thread_ends_the_loop():
    with feedgraph.Pipeline.from_yaml(SLOW) as pipe:
        it = iter(pipe)
        next(it)
        timer = threading.Timer(0.3, pipe.stop)
        timer.start()
        start = time.monotonic()
        rest = sum(1 for _ in it)
        assert time.monotonic() - start < 2.0 and rest < 50
    timer.join()  # stop() may still be returning on the timer's thread: count what is left after it has
    assert no_resources_held()


CHILD = textwrap.dedent("""
    import json, sys, time
    import feedgraph
    pipe = feedgraph.Pipeline.from_yaml(sys.argv[1])
    result = {}
    try:
        for batch in pipe:
            del batch
            print("batch", flush=True)
    except KeyboardInterrupt:
        result["raised_at"] = time.monotonic()
        result["live_after_loop"] = feedgraph.live_resources()
    pipe.close()
    result["live_after_close"] = feedgraph.live_resources()
    print(json.dumps(result), flush=True)
""")


def test_ctrl_c_raises_keyboard_interrupt_within_half_a_second_and_stops_cleanly():
    env = dict(os.environ)
    child = subprocess.Popen([sys.executable, "-c", CHILD, SLOW], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "batch"
    time.sleep(0.05)  # waiting for the next batch, inside the engine
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    result = json.loads(out.strip().splitlines()[-1])
    assert "raised_at" in result, out
    latency = result["raised_at"] - sent  # CLOCK_MONOTONIC: one clock for both processes
    assert latency < 0.5, f"KeyboardInterrupt came {latency:.3f} s after SIGINT"
    assert result["live_after_loop"]["threads"] == 0  # the graph's threads were joined at once
    assert all(v == 0 for v in result["live_after_close"].values()), result
