"""PEP 517 build backend of the mobilenmt Python package (``pip install .``, ``pip wheel .``).

The package is ctypes bindings (python/mobilenmt/) plus the shared library that
``cargo build --release --lib`` makes; there is no extension module, so a wheel fits every
Python 3 of one platform: its tag is ``py3-none-PLATFORM``. Standard library only (and tomli
on Python < 3.11), so building needs no network beyond what cargo needs.

Settings, as ``--config-settings KEY=VALUE`` of pip or the environment variable in brackets:

- ``target`` [``MNMT_WHEEL_TARGET``]: a Rust target triple to build for (``cargo --target``),
  for a wheel of another platform; the library then comes from ``target/TRIPLE/release``.
- ``plat-name`` [``MNMT_WHEEL_PLAT``]: the wheel's platform tag. Default: this machine's, or the
  one of ``target`` from ``TARGET_TAGS``. A wheel for the package index needs a ``manylinux_*``
  tag on Linux: give it here, or retag with ``auditwheel repair``.

The version is Cargo.toml's, the one the library reports (``mobilenmt.version()``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import platform
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pyproject.toml's build-system requires it there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "python" / "mobilenmt"

# Platform tags of the Rust targets a wheel is most often built for.
TARGET_TAGS = {
    "x86_64-unknown-linux-gnu": "linux_x86_64",
    "aarch64-unknown-linux-gnu": "linux_aarch64",
    "armv7-unknown-linux-gnueabihf": "linux_armv7l",
    "x86_64-apple-darwin": "macosx_10_12_x86_64",
    "aarch64-apple-darwin": "macosx_11_0_arm64",
    "x86_64-pc-windows-msvc": "win_amd64",
    "aarch64-pc-windows-msvc": "win_arm64",
}

# What an sdist holds: everything `cargo build` and this backend read.
SDIST_PATHS = ["pyproject.toml", "Cargo.toml", "Cargo.lock", "build.rs", "README.md",
               "LICENSE-MIT", "LICENSE-APACHE", "CHANGELOG.md", "src", "include", "python"]


def _setting(config: Optional[Dict[str, str]], key: str, env: str) -> Optional[str]:
    value = (config or {}).get(key) or os.environ.get(env)
    return value or None


def _version() -> str:
    text = (ROOT / "Cargo.toml").read_text(encoding="utf-8")
    m = re.search(r'^\[package\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    if not m:
        raise RuntimeError("Cargo.toml: no [package] version")
    version: str = m.group(1)
    return version


def _metadata() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        project: Dict[str, Any] = tomllib.load(f)["project"]
    readme: str = (ROOT / project["readme"]).read_text(encoding="utf-8")
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {project['name']}\n"
        f"Version: {_version()}\n"
        f"Summary: {project['description']}\n"
        f"License: {project['license']['text']}\n"
        f"Requires-Python: {project['requires-python']}\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def _platform_tag(config: Optional[Dict[str, str]], triple: Optional[str]) -> str:
    tag = _setting(config, "plat-name", "MNMT_WHEEL_PLAT")
    if tag:
        return tag
    if triple:
        if triple not in TARGET_TAGS:
            raise RuntimeError(f"no known platform tag for {triple}: give one with plat-name")
        return TARGET_TAGS[triple]
    if sys.platform == "darwin":
        machine = platform.machine()
        return "macosx_11_0_arm64" if machine == "arm64" else f"macosx_10_12_{machine}"
    return re.sub(r"[-.]", "_", sysconfig.get_platform())


def _library_name(triple: Optional[str]) -> str:
    system = triple or sys.platform
    if "apple" in system or "darwin" in system:
        return "libmobilenmt.dylib"
    if "windows" in system or system.startswith("win"):
        return "mobilenmt.dll"
    return "libmobilenmt.so"


def _cargo_build(triple: Optional[str]) -> Path:
    cmd = [os.environ.get("CARGO", "cargo"), "build", "--release", "--lib"]
    if triple:
        cmd += ["--target", triple]
    print("building the library:", " ".join(cmd), file=sys.stderr)
    try:
        # cargo's progress goes to stderr, which pip shows on failure (and with -v).
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=sys.stderr)
    except FileNotFoundError as e:
        raise RuntimeError("building mobilenmt needs Rust's cargo on PATH (or CARGO=...)") from e
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target_dir.is_absolute():
        target_dir = ROOT / target_dir
    out = target_dir / (triple or "") / "release" / _library_name(triple)
    if not out.is_file():
        raise RuntimeError(f"cargo finished but {out} is missing")
    return out


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(directory: str, tag: str, files: List[Tuple[str, bytes, int]]) -> str:
    version = _version()
    dist_info = f"mobilenmt-{version}.dist-info"
    files = list(files)
    files.append((f"{dist_info}/METADATA", _metadata().encode("utf-8"), 0o644))
    wheel = f"Wheel-Version: 1.0\nGenerator: _mobilenmt_build\nRoot-Is-Purelib: false\nTag: {tag}\n"
    files.append((f"{dist_info}/WHEEL", wheel.encode(), 0o644))
    for lic in ("LICENSE-MIT", "LICENSE-APACHE"):
        files.append((f"{dist_info}/licenses/{lic}", (ROOT / lic).read_bytes(), 0o644))
    record = [_record_line(name, data) for name, data, _ in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode(), 0o644))

    name = f"mobilenmt-{version}-{tag}.whl"
    os.makedirs(directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data, mode in files:
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return name


def _package_files() -> List[Tuple[str, bytes, int]]:
    keep = sorted(p for p in PACKAGE.iterdir() if p.suffix == ".py" or p.name == "py.typed")
    return [(f"mobilenmt/{p.name}", p.read_bytes(), 0o644) for p in keep]


# ---- PEP 517 hooks -----------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: Optional[Dict[str, str]] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[Dict[str, str]] = None) -> List[str]:
    return []


def build_wheel(
    wheel_directory: str,
    config_settings: Optional[Dict[str, str]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    triple = _setting(config_settings, "target", "MNMT_WHEEL_TARGET")
    tag = f"py3-none-{_platform_tag(config_settings, triple)}"
    lib = _cargo_build(triple)
    files = _package_files() + [(f"mobilenmt/{lib.name}", lib.read_bytes(), 0o755)]
    return _write_wheel(wheel_directory, tag, files)


def get_requires_for_build_editable(config_settings: Optional[Dict[str, str]] = None) -> List[str]:
    return []


def build_editable(
    wheel_directory: str,
    config_settings: Optional[Dict[str, str]] = None,
    metadata_directory: Optional[str] = None,
) -> str:
    """``pip install -e .``: a .pth file puts python/ on sys.path; the package then finds the
    library in target/release, which this builds (rebuild it with ``make build`` after changes)."""
    _cargo_build(None)
    pth = (str(ROOT / "python") + "\n").encode()
    return _write_wheel(wheel_directory, "py3-none-any", [("mobilenmt_editable.pth", pth, 0o644)])


def build_sdist(sdist_directory: str, config_settings: Optional[Dict[str, str]] = None) -> str:
    base = f"mobilenmt-{_version()}"
    name = f"{base}.tar.gz"
    os.makedirs(sdist_directory, exist_ok=True)
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for entry in SDIST_PATHS:
            paths = [ROOT / entry] if (ROOT / entry).is_file() else sorted((ROOT / entry).rglob("*"))
            for p in paths:
                if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith("libmobilenmt"):
                    tf.add(p, arcname=f"{base}/{p.relative_to(ROOT).as_posix()}")
        pkg_info = _metadata().encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        tf.addfile(info, io.BytesIO(pkg_info))
    return name
