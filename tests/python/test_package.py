"""The Python package as users get it: the wheel (`pip wheel .`) installed into an empty venv
translates from any folder with the library inside the package; the library lookup order;
`python -m mobilenmt` against the C example it mirrors; the sdist; one version everywhere."""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import mobilenmt

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "mobilenmt-en-de" / "model-int8.gguf"
FIXTURE = ROOT / "tests" / "data" / "tiny-swish" / "model-int8.gguf"
LIB = ROOT / "target" / "release" / "libmobilenmt.so"
CARGO_VERSION = re.search(r'^version = "(.+)"', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
SENTENCE = "Two dogs are playing in the snow."


def clean_env(**extra):
    """The environment of a user who has none of this repository's variables set."""
    env = {k: v for k, v in os.environ.items() if k not in ("MNMT_LIBRARY", "PYTHONPATH")}
    env.update(extra)
    return env


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def test_versions_agree():
    assert mobilenmt.version() == CARGO_VERSION
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(CARGO_VERSION)}\]", changelog, re.M), \
        f"CHANGELOG.md has no section for {CARGO_VERSION}"
    assert re.search(r"^## \[Unreleased\]", changelog, re.M)


def test_wheel_in_a_fresh_venv_translates(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)])
    (wheel,) = dist.glob("*.whl")
    assert re.fullmatch(rf"mobilenmt-{re.escape(CARGO_VERSION)}-py3-none-linux_[a-z0-9_]+\.whl", wheel.name)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert {"mobilenmt/__init__.py", "mobilenmt/__main__.py", "mobilenmt/py.typed",
                "mobilenmt/libmobilenmt.so"} <= names
        assert f"mobilenmt-{CARGO_VERSION}.dist-info/licenses/LICENSE-APACHE" in names
        assert zf.read("mobilenmt/libmobilenmt.so") == LIB.read_bytes()
        assert "Root-Is-Purelib: false" in zf.read(f"mobilenmt-{CARGO_VERSION}.dist-info/WHEEL").decode()

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    run([py, "-m", "pip", "install", "-q", "--no-index", str(wheel)], env=clean_env())

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import importlib.metadata, mobilenmt\n"
        f"with mobilenmt.Translator({str(MODEL)!r}) as t:\n"
        f"    print(t.translate({SENTENCE!r}, beam_size=4))\n"
        "print(mobilenmt.library_path())\n"
        "print(mobilenmt.version(), importlib.metadata.version('mobilenmt'))\n"
    )
    text, lib, versions = run([py, "-c", script], cwd=elsewhere, env=clean_env()).splitlines()
    with mobilenmt.Translator(MODEL) as t:
        assert text == t.translate(SENTENCE, beam_size=4)
    assert Path(lib).parent == venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / \
        "site-packages" / "mobilenmt"
    assert versions == f"{CARGO_VERSION} {CARGO_VERSION}"
    cli = run([py, "-m", "mobilenmt", "-m", str(MODEL), "-b", "4"], input=SENTENCE + "\n",
              cwd=elsewhere, env=clean_env())
    assert cli == text + "\n"


def test_library_lookup_order(tmp_path):
    """MNMT_LIBRARY, then the library inside the package, then the repository's target/release."""
    repo = tmp_path / "repo"
    pkg = repo / "python" / "mobilenmt"
    shutil.copytree(ROOT / "python" / "mobilenmt", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "target" / "release").mkdir(parents=True)
    for d in (pkg, repo / "target" / "release", tmp_path):
        shutil.copy(LIB, d / "libmobilenmt.so")
    probe = [sys.executable, "-c", "import mobilenmt; print(mobilenmt.library_path())"]

    def found(**env):
        return Path(run(probe, cwd=tmp_path, env=clean_env(PYTHONPATH=str(repo / "python"), **env)).strip())

    assert found(MNMT_LIBRARY=str(tmp_path / "libmobilenmt.so")) == tmp_path / "libmobilenmt.so"
    assert found() == pkg / "libmobilenmt.so"
    (pkg / "libmobilenmt.so").unlink()
    assert found() == repo / "target" / "release" / "libmobilenmt.so"


CLI = os.environ.get("MNMT_CLI")
DEMO = str(ROOT / "examples" / "demo.txt")


def error_lines(stderr):
    """`NAME:LINE: status` of each failed line, without the program's name or the message."""
    return re.findall(r"^(?:mnmt-translate|python -m mobilenmt): (\S+:\d+: [^:]+):", stderr.decode(), re.M)


@pytest.mark.skipif(not CLI, reason="MNMT_CLI (the built C example mnmt-translate) not given; make pytest sets it")
@pytest.mark.parametrize("args", [[], ["-b", "4"], ["-n", "3"], ["--info"], ["--truncate", "-b", "2"],
                                  [DEMO, "-", DEMO], ["-b", "0"], ["-n", "x"], [DEMO, "missing.txt", "-"]],
                         ids=lambda a: " ".join(Path(x).name for x in a) or "greedy")
@pytest.mark.parametrize("model", [MODEL, FIXTURE], ids=lambda p: p.parent.name)
def test_cli_matches_the_c_example(args, model, tmp_path):
    lines = (ROOT / "examples" / "demo.txt").read_bytes()
    # An invalid UTF-8 line and an over-long one: errors keep the output aligned, exit status 1.
    lines += b"caf\xe9 au lait\r\n" + b"word " * 2000 + b"\n\nA last one.\n"
    # The Python CLI translates line by line: compare with the C example's line mode.
    c = subprocess.run([CLI, "--lines", "-m", str(model), *args], input=lines, capture_output=True, timeout=300,
                       cwd=tmp_path)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    py = subprocess.run([sys.executable, "-m", "mobilenmt", "-m", str(model), *args], input=lines,
                        capture_output=True, timeout=300, env=env, cwd=tmp_path)
    assert py.stdout == c.stdout
    assert py.returncode == c.returncode
    assert error_lines(py.stderr) == error_lines(c.stderr)
    if args in (["-b", "0"], ["-n", "x"]):
        assert py.returncode == 2 and not py.stdout
    elif "--info" in args:
        assert py.returncode == 0 and b"model:" in py.stdout
    else:
        assert py.returncode == 1
        stdin_errors = 0 if DEMO in args and "-" not in args else (1 if "--truncate" in args else 2)
        assert len(error_lines(py.stderr)) == stdin_errors
        if "missing.txt" in args:
            assert b"missing.txt" in py.stderr


def test_sdist_holds_every_tracked_file_the_build_reads(tmp_path):
    sys.path.insert(0, str(ROOT / "python"))
    try:
        import _mobilenmt_build as backend
    finally:
        sys.path.pop(0)
    name = backend.build_sdist(str(tmp_path))
    base = name[: -len(".tar.gz")]
    with tarfile.open(tmp_path / name) as tf:
        got = {m.name[len(base) + 1:] for m in tf.getmembers() if m.isfile()}
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of tracked files to compare with")
    tracked = run(["git", "ls-files", "--", *backend.SDIST_PATHS], cwd=ROOT).split()
    assert set(tracked) <= got
    assert "PKG-INFO" in got


def test_wheel_platform_tag_setting(tmp_path):
    tag = "manylinux_2_17_x86_64"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT),
         "--config-settings", f"plat-name={tag}"])
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name == f"mobilenmt-{CARGO_VERSION}-py3-none-{tag}.whl"
    with zipfile.ZipFile(wheel) as zf:
        assert f"Tag: py3-none-{tag}" in zf.read(f"mobilenmt-{CARGO_VERSION}.dist-info/WHEEL").decode()


def test_readme_python_example_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- python example -->\n```python\n", 1)[1].split("```", 1)[0]
    out = run([sys.executable, "-c", block], cwd=ROOT,
              env=dict(os.environ, PYTHONPATH=str(ROOT / "python"))).splitlines()
    assert out[0] == "en de int8"
    assert len(out) >= 5, out


def test_editable_install_uses_the_source_and_target_release(tmp_path):
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    py = str(venv / "bin" / "python")
    run([py, "-m", "pip", "install", "-q", "-e", str(ROOT)], env=clean_env())
    out = run([py, "-c", "import mobilenmt; print(mobilenmt.__file__); print(mobilenmt.library_path())"],
              cwd=tmp_path, env=clean_env()).splitlines()
    assert out == [str(ROOT / "python" / "mobilenmt" / "__init__.py"), str(LIB)]
