"""zhkg.children: worker processes die with the build, and a signal stops a build cleanly.

Each test runs a real `zhkg build` in a subprocess, with one step replaced by a stall that prints
the process id of the worker it runs in, so the test can signal the build at a known point and
then look at every process it had started (issue 13: SIGKILL or SIGTERM during the exports or the
page left 1-3 orphans of ~700 MB writing graph.ttl and graph.html; Ctrl-C printed a traceback
per pool worker).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhkg.pipeline.build import build as run_build

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

# A build of argv[1] into argv[2] with two jobs, through the command line, in which the step
# named by argv[3] stalls in its worker process after printing "worker PID".
CHILD = """
import os, sys, time
from zhkg.graph import export
from zhkg.pipeline import engines, page

def stall(*args, **kwargs):
    os.write(1, f"worker {os.getpid()}\\n".encode())  # one write: lines never interleave
    time.sleep(120)

if sys.argv[3] == "extraction":
    engines.process_document = stall
else:  # the exports' writers (made parallel whatever the size) and the page
    export.PARALLEL_MIN_BYTES = 0
    export._write_rdf = stall
    page.draw_page = stall
sys.argv = ["zhkg", "build", sys.argv[1], "-o", sys.argv[2], "-j", "2"]
from zhkg.cli import main
main()
"""


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie (an orphan's reaper may be slow)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while any(map(_running, pids)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class Build:
    """The build subprocess and the workers it reported."""

    def __init__(self, out: Path, step: str, workers: int) -> None:
        # stderr goes to a file: an orphan holding a pipe open would keep a reader waiting
        self.stderr = out.parent / f"{out.name}.stderr"
        with open(self.stderr, "w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(SEEDS), str(out), step],
                stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.workers: list[int] = []
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("worker "):
                self.workers.append(int(line.split()[1]))
                if len(self.workers) == workers:
                    return
        self.process.wait(30)
        pytest.fail(f"the build ended before its workers stalled: {self.stderr.read_text()}")

    def signal(self, signum: int, group: bool = False) -> tuple[int, str]:
        """Signal the build (or, as a terminal's Ctrl-C does, its whole process group); its exit
        status and stderr."""
        if group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        status = self.process.wait(timeout=30)
        time.sleep(0.5)  # what its workers might still print
        return status, self.stderr.read_text()

    def close(self) -> None:
        for pid in [self.process.pid, *self.workers]:  # whatever outlived the test
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def build_until() -> Iterator[type[Build]]:
    started: list[Build] = []

    class Started(Build):
        def __init__(self, out: Path, step: str, workers: int) -> None:
            started.append(self)
            super().__init__(out, step, workers)

    yield Started
    for build in started:
        build.close()


def test_workers_die_with_a_build_killed_during_the_exports_and_the_page(
        tmp_path: Path, build_until: type[Build]) -> None:
    out = tmp_path / "out"
    build = build_until(out, "exports", workers=3)  # the page, and two writers of the exports
    status, _ = build.signal(signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert _gone(build.workers, within=10), "workers outlived the build"
    assert list(out.glob(".export-*"))  # nobody could clean up: the next run does
    report = run_build([SEEDS], out, jobs=1, page=False)
    assert report.ok and report.articles_skipped_unchanged == 2
    assert not list(out.glob(".export-*")) and not list(out.glob(".spool-*"))


def test_sigterm_stops_a_build_like_ctrl_c(tmp_path: Path, build_until: type[Build]) -> None:
    out = tmp_path / "out"
    build = build_until(out, "exports", workers=3)
    status, err = build.signal(signal.SIGTERM)
    assert status == 128 + signal.SIGTERM, err
    assert "interrupted" in err and "Traceback" not in err
    assert _gone(build.workers, within=10), "workers outlived the build"
    assert not list(out.glob(".export-*")) and not list(out.glob(".spool-*"))  # cleaned up
    assert not [p.name for p in out.iterdir() if p.name.startswith(".graph.")]  # no temp file


def test_ctrl_c_gives_one_message_and_no_worker_tracebacks(
        tmp_path: Path, build_until: type[Build]) -> None:
    build = build_until(tmp_path / "out", "extraction", workers=2)
    status, err = build.signal(signal.SIGINT, group=True)  # the terminal signals the group
    assert status == 130, err
    assert err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert _gone(build.workers, within=10)
