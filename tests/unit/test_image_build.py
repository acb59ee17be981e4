"""The container image: pinned base, non-root, nothing written at run time; its install step, run here.

Docker is not needed: ``test_the_build_stage_installs_and_runs`` executes the build stage of
deploy/Dockerfile the way Docker would (ENV, WORKDIR, ``COPY . .`` of the context
deploy/Dockerfile.dockerignore allows, then each RUN with ``sh``), with the stage's paths moved under
a temporary folder and this interpreter's base Python as ``python``. The wheel must build and
install with its pinned dependencies (from the package index) and ``jejaring --help`` must run from
the virtualenv, as the image's user would, without writing a byte.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"
# The build stage may use these absolute paths only (each is moved under the temporary folder).
STAGE_PATHS = ("/src", "/wheels", "/opt/jejaring")
IMAGE_UID = 10001


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.read_text().splitlines()
                                           if not line.lstrip().startswith("#")))
    result = []
    for line in text.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for word, rest in instructions():
        if word == "FROM":
            found.append([])
        if found:
            found[-1].append((word, rest))
    return found


def env_pairs(rest: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in shlex.split(rest))


def base_image() -> str:
    (arg,) = [rest for word, rest in instructions() if word == "ARG" and rest.startswith("PYTHON_IMAGE=")]
    return arg.split("=", 1)[1]


# -- what the image is -------------------------------------------------------------------------


def test_base_image_is_pinned_by_digest() -> None:
    image = base_image()
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", image), image
    for stage in stages():
        assert stage[0][1].split()[0] == "${PYTHON_IMAGE}", "every stage starts from the pinned base"


def test_image_runs_as_a_numeric_non_root_user() -> None:
    final = stages()[-1]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1] == f"{IMAGE_UID}:{IMAGE_UID}", "numeric uid:gid, for runAsNonRoot"
    assert any(f"--uid {IMAGE_UID}" in rest for word, rest in final if word == "RUN")
    index = [i for i, (word, _) in enumerate(final) if word == "USER"][-1]
    assert ("ENTRYPOINT", '["jejaring"]') in final[index:], "the entry point runs as that user"


def test_nothing_is_written_at_run_time() -> None:
    final = stages()[-1]
    env = {k: v for word, rest in final if word == "ENV" for k, v in env_pairs(rest).items()}
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["JEJARING_VAR_DIR"].startswith("/tmp/"), "the only writable place in the pods is /tmp"
    assert ("COPY", "--from=build /opt/jejaring /opt/jejaring") in final, "only the built virtualenv is copied"
    exposed = {int(p) for word, rest in final if word == "EXPOSE" for p in rest.split()}
    assert {8000, 8001, 8002, 8003, 8004} <= exposed


# -- the build context -------------------------------------------------------------------------


def context_files() -> list[Path]:
    """The files ``docker build`` sends, by deploy/Dockerfile.dockerignore (an allow-list)."""
    lines = [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[0] == "*", "the context is an allow-list"
    allowed = [ln[1:] for ln in lines[1:] if ln.startswith("!")]
    excluded = [ln.removeprefix("**/") for ln in lines[1:] if not ln.startswith("!")]
    assert all("/" not in p for p in allowed + excluded), "patterns this test understands"
    files = []
    for name in allowed:
        top = ROOT / name
        for path in [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []:
            parts = path.relative_to(ROOT).parts
            if path.is_file() and not any(fnmatch.fnmatch(part, pat) for part in parts for pat in excluded):
                files.append(path)
    return files


def test_context_holds_the_package_and_nothing_else() -> None:
    tops = {p.relative_to(ROOT).parts[0] for p in context_files()}
    assert {"pyproject.toml", "README.md", "shared", "services"} <= tops
    assert not tops & {"tests", "deploy", "docs", "bench", ".venv", "var", ".git"}
    assert not [p for p in context_files() if "__pycache__" in p.parts or p.suffix == ".pyc"]


# -- the build stage, run here ------------------------------------------------------------------


def _world_readable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode):
            path.chmod(mode | stat.S_IRGRP | stat.S_IROTH | (stat.S_IXGRP | stat.S_IXOTH if stat.S_ISDIR(mode) or mode & stat.S_IXUSR else 0))


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*") if not p.is_symlink()}


@pytest.mark.image
@pytest.mark.timeout(1200)
def test_the_build_stage_installs_and_runs() -> None:
    build, final = stages()[0], stages()[-1]
    assert build[0][1].split()[-2:] == ["AS", "build"]
    work = Path(tempfile.mkdtemp(prefix="jejaring-image-"))
    try:
        work.chmod(0o755)
        moved = {p: str(work / p.strip("/").replace("/", "-")) for p in STAGE_PATHS}

        def relocate(text: str) -> str:
            for path in sorted(moved, key=len, reverse=True):
                text = re.sub(rf"(?<![\w/]){re.escape(path)}(?=/|\s|$|:)", moved[path], text)
            return text

        # `python` is the base image's interpreter: here the one this test runs on, outside its venv.
        shims = work / "shims"
        shims.mkdir()
        base_python = Path(getattr(sys, "_base_executable", sys.executable))
        (shims / "python").symlink_to(base_python)
        env = {"PATH": f"{shims}:/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}
        cwd = work
        for word, rest in build[1:]:
            if word == "ENV":
                env.update({k: relocate(v.replace("$PATH", env["PATH"])) for k, v in env_pairs(rest).items()})
            elif word == "WORKDIR":
                cwd = Path(relocate(rest))
                cwd.mkdir(parents=True, exist_ok=True)
            elif word == "COPY":
                assert rest == ". .", f"unexpected COPY in the build stage: {rest}"
                for path in context_files():
                    target = cwd / path.relative_to(ROOT)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target)
            elif word == "RUN":
                for absolute in re.findall(r"(?<![\w.])/[\w.-]+(?:/[\w.*-]+)*", rest):
                    assert absolute == "/dev/null" or absolute.startswith(STAGE_PATHS), (
                        f"the build stage uses {absolute}: add it to STAGE_PATHS")
                result = subprocess.run(["sh", "-c", relocate(rest)], cwd=cwd, env=env, capture_output=True,
                                        text=True, timeout=1100, check=False)
                assert result.returncode == 0, f"RUN {rest}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            else:
                pytest.fail(f"the build stage has {word}: teach this test what Docker does with it")

        # The final stage: the virtualenv alone, the image's environment, the image's user.
        venv = Path(moved["/opt/jejaring"])
        assert list(Path(moved["/wheels"]).glob("jejaring-*.whl")), "the wheel was built"
        run_env = {"PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/nonexistent"}
        for word, rest in final:
            if word == "ENV":
                run_env.update({k: v for k, v in env_pairs(rest).items() if k != "PATH"})
        empty = work / "empty"
        empty.mkdir()
        command = [str(venv / "bin" / "jejaring"), "--help"]
        if os.geteuid() == 0 and shutil.which("setpriv"):
            _world_readable(work)
            command = ["setpriv", f"--reuid={IMAGE_UID}", f"--regid={IMAGE_UID}", "--clear-groups", *command]
        before = _snapshot(venv)
        result = subprocess.run(command, cwd=empty, env=run_env, capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "run" in result.stdout and "broker" in result.stdout
        assert _snapshot(venv) == before, "running wrote into the virtualenv (a read-only root filesystem)"
        assert not list(empty.iterdir()), "running wrote into its working directory"
        site = next(venv.glob("lib/python3*/site-packages"))
        assert (site / "services").is_dir() and (site / "shared").is_dir()
        assert not (site / "tests").exists(), "the wheel ships the package, not the tests"
        assert list((site / "shared").glob("__pycache__/*.pyc")), "bytecode compiled at build time"
    finally:
        shutil.rmtree(work, ignore_errors=True)
