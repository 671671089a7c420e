"""The model job runner: jobs run in order off the GUI thread and report back in it."""

from __future__ import annotations

import threading
import time

import pytest

from desktop_app.model_jobs import ModelJobRunner


@pytest.fixture
def runner(qtbot):
    runner = ModelJobRunner()
    yield runner
    assert runner.shutdown(timeout_s=10)


def test_job_runs_in_worker_thread(qtbot, runner):
    gui_thread = threading.get_ident()
    ran_in = []
    delivered_in = []

    def work(job):
        ran_in.append(threading.get_ident())
        return sum(range(10))

    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        runner.submit("sum", work, on_done=lambda result: delivered_in.append((threading.get_ident(), result)))
    assert ran_in and ran_in[0] != gui_thread
    assert delivered_in == [(gui_thread, 45)]
    assert finished.args[0].result == 45
    assert not runner.is_busy()


def test_jobs_run_in_submission_order(qtbot, runner):
    order = []
    release = threading.Event()
    runner.submit("first", lambda job: (release.wait(5), order.append(1)))
    runner.submit("second", lambda job: order.append(2))
    last = runner.submit("third", lambda job: order.append(3))
    release.set()
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=5000)
    assert order == [1, 2, 3]
    assert last.error is None


def test_cancelled_job_does_not_run_or_call_back(qtbot, runner):
    release = threading.Event()
    calls = []
    runner.submit("blocker", lambda job: release.wait(5))
    dropped = runner.submit("dropped", lambda job: calls.append("ran"), on_done=lambda result: calls.append("done"))
    dropped.cancel()
    release.set()
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=5000)
    assert calls == []


def test_failure_reports_message(qtbot, runner):
    messages = []

    def broken(job):
        raise ValueError("segment outside the record")

    with qtbot.waitSignal(runner.job_failed, timeout=5000):
        runner.submit("broken", broken, on_failed=messages.append)
    assert messages == ["ValueError: segment outside the record"]
    with qtbot.waitSignal(runner.job_finished, timeout=5000) as finished:
        runner.submit("after", lambda job: "still running")
    assert finished.args[0].result == "still running"


def test_busy_signal_brackets_the_queue(qtbot, runner):
    states = []
    runner.busy_changed.connect(states.append)
    runner.submit("a", lambda job: 1)
    runner.submit("b", lambda job: 2)
    qtbot.waitUntil(lambda: states == [True, False], timeout=5000)


def test_shutdown_cancels_running_job(qtbot):
    runner = ModelJobRunner()
    started = threading.Event()
    calls = []

    def long_job(job):
        started.set()
        while not job.is_cancelled():
            time.sleep(0.01)
        return "stopped early"

    job = runner.submit("long", long_job, on_done=calls.append)
    assert started.wait(5)
    assert runner.shutdown(timeout_s=5)
    assert job.is_cancelled()
    assert job.result == "stopped early"
    qtbot.wait(50)
    assert calls == []


def test_expected_error_logs_no_traceback(qtbot, runner, caplog):
    def missing(job):
        raise FileNotFoundError("absent.hea: header file not found.")

    messages = []
    with qtbot.waitSignal(runner.job_failed, timeout=5000):
        runner.submit("open", missing, on_failed=messages.append, expected_errors=(FileNotFoundError,))
    assert messages == ["FileNotFoundError: absent.hea: header file not found."]
    failures = [record for record in caplog.records if "open" in record.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is None
