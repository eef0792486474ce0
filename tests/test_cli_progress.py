"""The progress bar tells the truth: phase, n/N, failures as they happen, the host it waits on."""

from __future__ import annotations

import asyncio
import io
import logging

from rich.console import Console
from support import EXAMPLES, ProgressRecorder

from konflux.cli.console import configure_logging
from konflux.cli.progress import ProgressDisplay
from konflux.engine import run_tests
from konflux.engine.oci.in_flight import InFlight


def terminal() -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=160)


def test_bar_shows_phase_count_failures_and_what_it_works_on():
    with ProgressDisplay("tests", console=terminal()) as bar:
        bar.start("testing", 7)
        bar.note("labels_test")
        bar.advance(3, failed=1)
        line = bar.text()
    assert "testing" in line
    assert "3/7 tests" in line
    assert "1 failed" in line
    assert "labels_test" in line


def test_a_new_phase_recounts_the_total():
    with ProgressDisplay("components", console=terminal()) as bar:
        bar.start("resolving", 2)
        bar.advance(2)
        bar.start("verifying", 5)  # an index expanded into three platforms
        bar.advance()
        line = bar.text()
    assert "verifying" in line and "1/5 components" in line and "failed" not in line


def test_a_request_open_for_long_names_the_host_it_waits_on():
    in_flight = InFlight()

    async def stalled() -> str:
        async with in_flight.waiting_on("registry.example:5000"):
            await asyncio.sleep(1.2)
            with ProgressDisplay("components", in_flight=in_flight, console=terminal()) as bar:
                bar.start("verifying", 3)
                return bar.text()

    line = asyncio.run(stalled())
    assert "waiting for registry.example:5000 (1s)" in line


def test_no_terminal_no_bar():
    with ProgressDisplay("tests") as bar:  # stderr is not a terminal under pytest
        bar.start("testing", 1)
        bar.advance()
        assert bar.text() == ""


def test_policy_test_reports_packages_and_failures_as_they_happen(tmp_path):
    (tmp_path / "t_test.rego").write_text(
        "package t_test\n\nimport rego.v1\n\ntest_ok if true\n\ntest_bad if false\n"
    )
    recorder = ProgressRecorder()
    run_tests([str(EXAMPLES / "rego"), str(tmp_path)], progress=recorder)
    starts = [c for c in recorder.calls if c[0] == "start"]
    assert starts[-1] == ("start", "testing", 13)
    notes = [c[1] for c in recorder.calls if c[0] == "note"]
    assert {"t_test", "labels_test"} <= set(notes)
    advanced = [c for c in recorder.calls if c[0] == "advance"]
    assert sum(c[1] for c in advanced) == 13
    assert sum(c[2] for c in advanced) == 1


def test_log_lines_go_to_the_current_stderr(capsys):
    # rich swaps sys.stderr for a proxy while a bar is live; the handler must follow it.
    configure_logging(debug=False)
    logging.getLogger("konflux.test").warning("above the bar")
    # in logrus's text format, as `ec` writes its log lines
    assert 'level=warning msg="above the bar"' in capsys.readouterr().err
