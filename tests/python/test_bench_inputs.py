"""`make bench` from a clone: its test set is in the repository (eval/data/), it checks every
input before it downloads anything, and no test or benchmark reads data from outside the clone."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "eval" / "data"
LIB = ROOT / "target" / "release" / "libmobilenmt.a"


def bench_check(tmp_path, **env):
    full = dict(os.environ, LIB=str(LIB), BENCH_VENV=str(tmp_path / "venv"), **env)
    return subprocess.run(["bench/run.sh", "--check"], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=60)


def test_the_test_set_is_in_the_repository():
    en = (EVAL / "multi30k-test2016.en").read_text(encoding="utf-8").splitlines()
    de = (EVAL / "multi30k-test2016.de").read_text(encoding="utf-8").splitlines()
    assert len(en) == len(de) == 1000
    assert all(line.strip() for line in en + de)


def test_bench_inputs_are_complete(tmp_path):
    r = bench_check(tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1000 sentences" in r.stdout


@pytest.mark.parametrize("var", ["BENCH_SRC", "BENCH_REF"])
def test_bench_stops_before_downloading_when_an_input_is_missing(tmp_path, var):
    r = bench_check(tmp_path, **{var: str(tmp_path / "absent.txt")})
    assert r.returncode == 1
    assert f"missing: {tmp_path / 'absent.txt'}" in r.stderr
    assert not (tmp_path / "venv").exists()


# Benchmarks that need more than the committed test set, named in the README's Data section:
# bench-opus builds its vocabulary shortlist from the Multi30k training corpus.
READS_TRAINING_DATA = ["bench/opus_sized.sh"]


def test_no_test_or_benchmark_reads_outside_the_clone():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    r = subprocess.run(["git", "grep", "--untracked", "-l", "-F", "-e", "../shared", "--", "tests", "ctest",
                        "bench", "examples", "python", "src", "eval/data", ".ci", ":!tests/python/test_bench_inputs.py",
                        *(f":!{p}" for p in READS_TRAINING_DATA)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode in (0, 1), r.stderr
    assert r.stdout.split() == []
