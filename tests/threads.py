"""Two (or more) database jobs really at the same time, for the concurrency tests."""

import threading

from django.db import connections

JOIN_TIMEOUT = 60


def run_together(*jobs):
    """Run each job in its own thread (and database connection), all released at the same moment.

    Returns each job's result, or the exception it raised.
    """
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[i] = job()
        except BaseException as e:  # noqa: BLE001 - reported to the test
            results[i] = e
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a job hung"
    return results
