"""The Dockerfile, read: no Docker engine is available to build it here."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_TOOLS = ("gcc", "g++", "build-essential", "make", "clang", "python3-dev")


def stages() -> dict[str, list[str]]:
    """Split the Dockerfile into its stages' instructions, by stage name."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if match:
            current = [line]
            found[match.group(2) or match.group(1)] = current
        else:
            current.append(line)
    return found


def chain(name: str) -> list[str]:
    """Return the instructions of a stage and of the stages it builds on."""
    all_stages = stages()
    lines = all_stages[name]
    parent = lines[0].split()[1]
    return (chain(parent) if parent in all_stages else []) + lines


def test_build_is_multi_stage() -> None:
    """Dependencies are built in one stage and copied into a fresh one."""
    assert {"build", "runtime", "production"} <= set(stages())
    assert any(line.startswith("COPY --from=build") for line in stages()["runtime"])


def test_base_image_is_pinned() -> None:
    """The base names an exact patch release (or a digest), never a floating tag."""
    text = (REPO / "Dockerfile").read_text()
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", text)
    assert base is not None
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))


def test_final_image_runs_as_a_numeric_non_root_user() -> None:
    """The last USER of the production image is a non-zero uid."""
    users = [line.split()[1] for line in chain("production") if line.startswith("USER")]
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_final_image_has_no_build_tools() -> None:
    """No compiler is installed in the stages the production image is made of."""
    runs = " ".join(line for line in chain("production") if line.startswith("RUN"))
    assert "apt-get install" not in runs
    assert not any(re.search(rf"\b{re.escape(tool)}\b", runs) for tool in BUILD_TOOLS)


def test_output_is_unbuffered() -> None:
    """PYTHONUNBUFFERED is set, so logs reach kubectl logs at once."""
    envs = " ".join(line for line in chain("production") if line.startswith("ENV"))
    assert "PYTHONUNBUFFERED=1" in envs


def test_dependencies_install_before_the_source_is_copied() -> None:
    """Source edits do not invalidate the dependency layer."""
    build = stages()["build"]
    install = next(i for i, line in enumerate(build) if "pip install -r" in line)
    source = next(i for i, line in enumerate(build) if line.startswith("COPY libs"))
    assert install < source


def test_dockerignore_admits_only_what_the_image_needs() -> None:
    """Everything is ignored except pyproject, README, libs and services."""
    rules = (REPO / ".dockerignore").read_text().split()
    assert rules[rules.index("*") + 1:rules.index("*") + 5] == [
        "!pyproject.toml", "!README.md", "!libs/", "!services/"]
