"""Docker for benchmarks/scale_out.py and the deployment tests (tests/deploy/test_docker.py).

- A private Docker daemon (Debian's docker.io), started by hand as root with its own socket,
  exec root and data root, and stopped at the end; nothing touches a system daemon.
- Local stand-ins for the base images, because no image registry is reachable here: a
  debootstrap of Debian bookworm (minbase + python3) imported as ``python:3.11-slim-bookworm``,
  and the same tree with Debian's nginx and Prometheus imported as the nginx and Prometheus
  images deploy/compose.yaml names. They carry the label ``org.clarion.standin`` and exist only
  inside the private daemon. They are not the official images: the real Dockerfile is built on
  them unchanged, which checks the Dockerfile, not the upstream images.
- The image build through deploy/docker/build.sh --offline: the sandbox intercepts TLS with a
  certificate that only the host trusts, so pip inside a build cannot verify PyPI; the wheels
  are built on the host and the build installs them with no index. A built image carries a
  label with the hash of everything it was built from (the lock, pyproject.toml, deploy/docker,
  the engines' install scripts, src/); when the daemon already holds the image with that hash,
  the build is skipped. When only src/ changed, Docker's layer cache rebuilds only the
  application's layers: the dependency layer (torch and all, minutes) is keyed by the lock,
  the Dockerfile and the scripts.
- A bounded load driver that counts every request's outcome, for the scale-out checks.

Slow parts are cached under .cache/deploy/ (the debootstrap tarballs and the daemon's data root
with its build cache), so a second run is much faster than the first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("CLARION_DEPLOY_CACHE", REPO / ".cache" / "deploy"))
COMPOSE_FILE = REPO / "deploy" / "compose.yaml"
DEBIAN_MIRROR = os.environ.get("CLARION_DEBIAN_MIRROR", "http://deb.debian.org/debian")

# The names the Dockerfile and compose.yaml use by default; here they are local stand-ins.
PYTHON_IMAGE = "python:3.11-slim-bookworm"
NGINX_IMAGE = "nginx:1.28-bookworm"
PROMETHEUS_IMAGE = "prom/prometheus:v3.5.0"
STANDIN_LABEL = "org.clarion.standin"
IMAGE = "clarion:cpu"
# The image with PyTorch and the engines build.sh --engines adds (its default tag).
TORCH_ENGINES = ("chattts", "chatterbox", "indextts")
TORCH_IMAGE = "clarion:torch-cpu"
KEY_LABEL = "org.clarion.build-key"
# What goes into an image (.dockerignore admits these), for its build key.
IMAGE_INPUTS = (
    ".dockerignore",
    "README.md",
    "pyproject.toml",
    "requirements/test.lock",
    "scripts/install-chatterbox.sh",
    "scripts/install-indextts.sh",
    "deploy/docker",
    "src",
)
# The torch-gpu variant's dry run: its Dockerfile path on a stand-in for the CUDA PyTorch base.
TORCH_GPU_DRY_IMAGE = "clarion:torch-gpu-dry"
# Not inputs: build.sh's own outputs (the pulled Kokoro files follow from src/), secrets, caches.
_NOT_INPUTS = ("deploy/docker/wheelhouse", "deploy/docker/models", "deploy/docker/secrets")


class DockerUnavailable(RuntimeError):
    """Docker cannot run here; the message says why (tests skip with it)."""


def _docker_cli() -> str | None:
    # Debian's client matches Debian's daemon (20.10); a newer client elsewhere on PATH may
    # want buildx for `docker build`, which Debian does not package.
    return "/usr/bin/docker" if os.access("/usr/bin/docker", os.X_OK) else shutil.which("docker")


@dataclass
class Docker:
    host: str  # unix:///... of the private daemon
    cli: str

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "DOCKER_HOST": self.host,
            "DOCKER": self.cli,
            "DOCKER_BUILDKIT": "1",
            **(extra or {}),
        }

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.cli, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            input=input,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"docker {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done

    def compose(
        self,
        project: str,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        compose = shutil.which("docker-compose")
        if compose is None:
            raise DockerUnavailable("docker-compose is not installed (Debian package docker-compose)")
        done = subprocess.run(
            [compose, "--project-name", project, "--file", str(COMPOSE_FILE), *args],
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"docker-compose {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def image_exists(self, name: str) -> bool:
        return self("image", "inspect", name, check=False).returncode == 0

    def image_size(self, name: str) -> int:
        return int(self("image", "inspect", "--format", "{{.Size}}", name).stdout.strip())

    def label(self, image: str, label: str) -> str | None:
        template = f'{{{{index .Config.Labels "{label}"}}}}'
        done = self("image", "inspect", "--format", template, image, check=False)
        if done.returncode != 0:  # no such image
            return None
        return done.stdout.strip() or None

    def health(self, container: str) -> str:
        out = self("inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", container)
        return out.stdout.strip()

    def wait_healthy(self, container: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while (status := self.health(container)) != "healthy":
            running = self("inspect", "--format", "{{.State.Running}}", container).stdout.strip()
            if running != "true" or time.monotonic() > deadline:
                logs = self("logs", "--tail", "40", container, check=False)
                raise RuntimeError(
                    f"{container} is {status or 'without health'} (running={running}):\n"
                    f"{logs.stdout[-3000:]}{logs.stderr[-3000:]}"
                )
            time.sleep(1)


@contextlib.contextmanager
def dockerd(data_root: Path | None = None, start_timeout: float = 60) -> Iterator[Docker]:
    """A private dockerd for the duration of the block. DockerUnavailable if it cannot start."""
    if os.geteuid() != 0:
        raise DockerUnavailable("starting dockerd needs root")
    daemon = shutil.which("dockerd")
    cli = _docker_cli()
    if daemon is None or cli is None:
        raise DockerUnavailable("dockerd or docker is not installed (Debian package docker.io)")
    data_root = data_root or CACHE / "docker-root"
    data_root.mkdir(parents=True, exist_ok=True)
    # A short path: containerd's sockets live under the exec root, and unix socket paths are
    # limited to about 100 bytes.
    run_dir = Path(tempfile.mkdtemp(prefix="clarion-dockerd-", dir="/tmp"))
    socket_path = run_dir / "docker.sock"
    log_path = run_dir / "dockerd.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                daemon,
                "--data-root",
                str(data_root),
                "--exec-root",
                str(run_dir / "exec"),
                "--pidfile",
                str(run_dir / "dockerd.pid"),
                "--host",
                f"unix://{socket_path}",
                "--log-level",
                "warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    docker = Docker(f"unix://{socket_path}", cli)
    try:
        deadline = time.monotonic() + start_timeout
        while docker("version", check=False, timeout=10).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-1500:]
                raise DockerUnavailable(f"dockerd did not start (exit {proc.poll()}): {tail}")
            time.sleep(0.5)
        # Containers left by an interrupted earlier run in this private data root.
        leftovers = docker("ps", "--all", "--quiet").stdout.split()
        if leftovers:
            docker("rm", "--force", "--volumes", *leftovers, timeout=120)
        yield docker
    finally:
        if proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired, RuntimeError):
                ids = docker("ps", "--all", "--quiet", check=False, timeout=30).stdout.split()
                if ids:
                    docker("rm", "--force", "--volumes", *ids, check=False, timeout=120)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
        shutil.rmtree(run_dir, ignore_errors=True)


# -- stand-in base images ----------------------------------------------------------------------

_SLIM = (
    "var/cache/apt/archives/*.deb",
    "var/cache/apt/*.bin",
    "var/lib/apt/lists/*",
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/info/*",
)


def _slim(root: Path) -> None:
    # What Debian's slim images leave out too: package caches, lists and documentation.
    for pattern in _SLIM:
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _tar(root: Path, target: Path) -> None:
    tmp = target.with_suffix(".tmp")
    subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tmp), "."], check=True)
    tmp.replace(target)


def standin_tarballs() -> tuple[Path, Path]:
    """Root filesystems of Debian bookworm, cached: python3; python3 + nginx + prometheus."""
    python_tar = CACHE / "standin-python-bookworm.tar"
    tools_tar = CACHE / "standin-tools-bookworm.tar"
    if python_tar.exists() and tools_tar.exists():
        return python_tar, tools_tar
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise DockerUnavailable("debootstrap is not installed (Debian package debootstrap)")
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        raise DockerUnavailable("prometheus is not installed (Debian package prometheus)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="debootstrap-") as tmp:
        root = Path(tmp) / "root"
        packages = "python3,python3-venv,ca-certificates"
        done = subprocess.run(
            [debootstrap, "--variant=minbase", f"--include={packages}", "bookworm", str(root), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"debootstrap failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        _slim(root)
        _tar(root, python_tar)
        # Keep package scripts from starting services inside the chroot.
        policy = root / "usr" / "sbin" / "policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx-light"],
        ):
            done = subprocess.run(
                ["chroot", str(root), *command],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"chroot {' '.join(command)} failed:\n{done.stderr[-2000:]}")
        policy.unlink()
        # Debian's Prometheus server, from the host's package (scripts/system-deps.sh installs
        # it for promtool): one binary that needs only libc, which spares the chroot the
        # package's 300 MB of web UI dependencies.
        shutil.copy2(prometheus, root / "usr" / "bin" / "prometheus")
        _slim(root)
        _tar(root, tools_tar)
    return python_tar, tools_tar


def ensure_standins(docker: Docker) -> None:
    """Import the stand-ins under the names the Dockerfile and compose.yaml use."""
    images = {
        PYTHON_IMAGE: ("python", ['CMD ["python3"]']),
        NGINX_IMAGE: ("tools", ['CMD ["nginx", "-g", "daemon off;"]']),
        PROMETHEUS_IMAGE: ("tools", ['ENTRYPOINT ["/usr/bin/prometheus"]']),
    }
    missing = [name for name in images if not docker.image_exists(name)]
    if not missing:
        return
    python_tar, tools_tar = standin_tarballs()
    for name in missing:
        kind, changes = images[name]
        label = f'LABEL {STANDIN_LABEL}="debootstrap bookworm minbase ({kind}), not the official {name}"'
        args = [arg for change in [*changes, label] for arg in ("--change", change)]
        docker("import", *args, str(python_tar if kind == "python" else tools_tar), name, timeout=300)


def _build_sh(docker: Docker, *args: str, timeout: float = 1500) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "deploy" / "docker" / "build.sh"), "--offline", *args],
        cwd=REPO,
        env=docker.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"build.sh failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}"
        )


def dockerfile_default(arg: str) -> str:
    """The default of a build argument in deploy/docker/Dockerfile."""
    for line in (REPO / "deploy" / "docker" / "Dockerfile").read_text().splitlines():
        if line.startswith(f"ARG {arg}="):
            return line.split("=", 1)[1]
    raise KeyError(arg)


# Installs the CPU torch and what it needs into Debian's system Python, as a CUDA PyTorch image
# has its torch in its Python: plain wheel extraction, since Debian's minbase Python has no pip.
_TORCH_BASE = """\
FROM {python}
LABEL {label}="{python} with the CPU torch in its system Python, not the official {name}"
RUN --mount=type=bind,source={wheels},target=/wheels \\
    for name in torch sympy mpmath networkx jinja2 markupsafe fsspec filelock typing_extensions; do \\
      python3 -m zipfile -e /wheels/$name-[0-9]*.whl /usr/local/lib/python3.11/dist-packages/ || exit 1; \\
    done \\
 && python3 -c 'import torch; torch.zeros(1)'
"""


def ensure_torch_base_standin(docker: Docker, wheelhouse: Path) -> str:
    """A stand-in for the Dockerfile's TORCH_CUDA_IMAGE, under its name: the Python stand-in
    with torch in its system site-packages (CPU build; no CUDA here). Needs the torch-cpu
    wheelhouse (build.sh --engines ... --offline --prepare-only)."""
    name = dockerfile_default("TORCH_CUDA_IMAGE")
    if docker.image_exists(name):
        return name
    dockerfile = _TORCH_BASE.format(
        python=PYTHON_IMAGE, label=STANDIN_LABEL, name=name, wheels=wheelhouse.relative_to(REPO).as_posix()
    )
    done = subprocess.run(
        [docker.cli, "build", "--file", "-", "--tag", name, str(REPO)],
        input=dockerfile,
        env=docker.env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the torch base stand-in failed:\n{done.stderr[-4000:]}")
    return name


def build_torch_gpu_dry(docker: Docker, engines: tuple[str, ...] = TORCH_ENGINES) -> Build:
    """The torch-gpu variant as build.sh --gpu --engines builds it, on the stand-in base and
    offline from the torch-cpu wheelhouse; the one argument changed is ONNXRUNTIME_GPU, the
    CPU onnxruntime of the lock instead of the CUDA build (which needs CUDA libraries)."""
    start = time.monotonic()
    key = build_key(engines) + "-gpu-dry"
    tag = TORCH_GPU_DRY_IMAGE
    if docker.label(tag, KEY_LABEL) == key:
        return Build(tag, key, time.monotonic() - start, cached=True)
    ensure_standins(docker)
    _build_sh(docker, "--engines", ",".join(engines), "--prepare-only")
    wheelhouse = REPO / "deploy" / "docker" / "wheelhouse" / "torch-cpu"
    ensure_torch_base_standin(docker, wheelhouse)
    onnxruntime = next(
        line
        for line in (REPO / "requirements" / "test.lock").read_text().splitlines()
        if line.startswith("onnxruntime==")
    )
    args = {
        "VARIANT": "torch-gpu",
        "EXTRAS": ",".join(("kokoro", *engines)),
        "ENGINES": ",".join(engines),
        "PIP_NO_INDEX": "1",
        "WHEELHOUSE": wheelhouse.relative_to(REPO).as_posix(),
        "ONNXRUNTIME_GPU": onnxruntime,
    }
    done = subprocess.run(
        [
            docker.cli,
            "build",
            "--file",
            str(REPO / "deploy" / "docker" / "Dockerfile"),
            "--target",
            "runtime",
            *(arg for name, value in args.items() for arg in ("--build-arg", f"{name}={value}")),
            "--label",
            f"{KEY_LABEL}={key}",
            "--tag",
            tag,
            str(REPO),
        ],
        env=docker.env(),
        capture_output=True,
        text=True,
        timeout=2400,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the torch-gpu dry build failed:\n{done.stderr[-6000:]}")
    return Build(tag, key, time.monotonic() - start, cached=False)


def build_key(engines: tuple[str, ...] = ()) -> str:
    """The hash of an image's inputs: their paths and contents, and the engines asked for."""
    digest = hashlib.sha256(f"engines={','.join(engines)}\n".encode())
    files: list[Path] = []
    for name in IMAGE_INPUTS:
        path = REPO / name
        files += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for path in sorted(files):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(_NOT_INPUTS) or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(f"{rel}\0{path.stat().st_mode & 0o111}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class Build:
    tag: str
    key: str  # build_key of its inputs, as read when the build started
    seconds: float
    cached: bool  # the daemon held the image built from the same inputs: nothing was built


def build_image(docker: Docker, tag: str = IMAGE) -> float:
    """:func:`build` of the default image; the seconds it took."""
    return build(docker, tag).seconds


def build(docker: Docker, tag: str = IMAGE, engines: tuple[str, ...] = (), timeout: float = 1500) -> Build:
    """The stand-ins, then the real Dockerfile through build.sh --offline (with --engines when
    ``engines`` are given), unless the daemon has ``tag`` built from the same inputs already.
    debootstrap and the host side of build.sh (wheelhouse, Kokoro pull) both wait mostly on
    the network, so they run side by side."""
    start = time.monotonic()
    key = build_key(engines)
    if docker.label(tag, KEY_LABEL) == key:
        ensure_standins(docker)  # present with the image, unless removed by hand
        return Build(tag, key, time.monotonic() - start, cached=True)
    selected = ("--engines", ",".join(engines)) if engines else ()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        standins = pool.submit(ensure_standins, docker)
        inputs = pool.submit(_build_sh, docker, *selected, "--prepare-only")
        standins.result()
        inputs.result()
    _build_sh(docker, *selected, "--tag", tag, "--", "--label", f"{KEY_LABEL}={key}", timeout=timeout)
    return Build(tag, key, time.monotonic() - start, cached=False)


# -- load ------------------------------------------------------------------------------------

TEXT = "The train to the airport leaves from platform four."


@dataclass
class LoadResult:
    seconds: float
    ok: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # status code or error type -> count
    latencies: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)  # seconds from the start, per ok request

    @property
    def failures(self) -> int:
        return sum(self.failed.values())

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def _drive(
    url: str, seconds: float, concurrency: int, api_key: str | None, voice: str, max_requests: int
) -> LoadResult:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    # Every request reads a different text: Clarion caches synthesised audio, and a repeated
    # sentence would measure the cache instead of the replicas.
    body = {"model": "tts-1", "voice": voice, "response_format": "pcm"}
    result = LoadResult(seconds)
    sent = 0
    start = time.monotonic()
    stop = start + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def user() -> None:
            nonlocal sent
            while time.monotonic() < stop and sent < max_requests:
                sent += 1
                t0 = time.monotonic()
                try:
                    r = await client.post(
                        "/v1/audio/speech", json={**body, "input": f"{TEXT} Ticket {sent}."}
                    )
                except httpx.HTTPError as e:
                    result.failed[type(e).__name__] += 1
                    continue
                if r.status_code == 200 and r.content:
                    result.ok += 1
                    result.latencies.append(time.monotonic() - t0)
                    result.finished.append(time.monotonic() - start)
                else:
                    result.failed[str(r.status_code)] += 1

        t0 = time.monotonic()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        result.seconds = time.monotonic() - t0
    return result


def drive(
    url: str,
    seconds: float,
    concurrency: int = 6,
    api_key: str | None = None,
    voice: str = "heart",
    max_requests: int = 100_000,
    midway: Callable[[], object] | None = None,
) -> LoadResult:
    """Closed-loop load for ``seconds`` (bounded by ``max_requests``); ``midway`` runs in a
    thread half-way through (e.g. stopping a replica), while requests keep flowing."""
    worker: threading.Thread | None = None
    if midway is not None:
        timer = threading.Timer(seconds / 2, midway)
        timer.daemon = True
        timer.start()
        worker = timer
    try:
        return asyncio.run(_drive(url, seconds, concurrency, api_key, voice, max_requests))
    finally:
        if worker is not None:
            worker.join(120)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- compose ---------------------------------------------------------------------------------


@dataclass
class Stack:
    """A running deploy/compose.yaml project on loopback ports."""

    docker: Docker
    project: str
    env: dict[str, str]
    api_key: str
    profiles: tuple[str, ...]

    @property
    def lb_url(self) -> str:
        return f"http://127.0.0.1:{self.env['CLARION_LB_PORT']}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.env['PROMETHEUS_PORT']}"

    def compose(
        self, *args: str, timeout: float = 600, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        # Every command names the profiles: services of an inactive profile are invisible to
        # compose, to `ps` and `down` too.
        active = [arg for profile in self.profiles for arg in ("--profile", profile)]
        return self.docker.compose(self.project, *active, *args, env=self.env, timeout=timeout, check=check)

    def replicas(self) -> list[str]:
        return self.compose("ps", "--quiet", "clarion").stdout.split()

    def running_replicas(self) -> list[str]:
        return [
            c
            for c in self.replicas()
            if self.docker("inspect", "--format", "{{.State.Running}}", c).stdout.strip() == "true"
        ]

    def scale(self, replicas: int) -> None:
        """Run ``replicas`` Clarion containers, wait until each is healthy, and let nginx
        resolve them again (open-source nginx resolves upstream names only at (re)load)."""
        self.compose("up", "--detach", "--no-recreate", "--scale", f"clarion={replicas}")
        for container in self.replicas():
            self.docker.wait_healthy(container)
        if self.compose("ps", "--quiet", "nginx").stdout.strip():
            self.compose("exec", "-T", "nginx", "nginx", "-s", "reload")
            time.sleep(1)  # the reload replaces the worker processes

    def wait_ready(self, url: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{url} not ready:\n{self.compose('logs', '--tail', '30', check=False).stdout}"
                )
            time.sleep(0.5)

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service, check=False).stdout


@contextlib.contextmanager
def compose_stack(
    docker: Docker,
    project: str,
    replicas: int = 1,
    profiles: tuple[str, ...] = ("scale",),
    engines: str = '["hibari"]',
) -> Iterator[Stack]:
    """deploy/compose.yaml up with the given profiles, API keys from a secret file, and every
    published port on a free loopback port; taken down (with its volumes) afterwards."""
    with tempfile.TemporaryDirectory(prefix="clarion-compose-") as tmp:
        api_key = "sk-" + os.urandom(16).hex()
        keys = Path(tmp) / "api_keys"
        keys.write_text(f"{api_key}\n")
        keys.chmod(0o644)  # the container reads it as uid 10001
        # Settings reach the containers through compose's env file, not the shell.
        settings = Path(tmp) / "clarion.env"
        settings.write_text(f"CLARION_ENGINES={engines}\n")
        env = {
            "CLARION_IMAGE": IMAGE,
            "CLARION_API_KEYS_PATH": str(keys),
            "CLARION_ENV_FILE": str(settings),
            "CLARION_PUBLISH": "127.0.0.1:",  # Docker picks a free host port per replica
            "CLARION_LB_PORT": str(free_port()),
            "PROMETHEUS_PORT": str(free_port()),
            "CLARION_SHUTDOWN_GRACE_S": "20",
        }
        stack = Stack(docker, project, env, api_key, profiles)
        stack.compose("down", "--volumes", "--timeout", "5", check=False)  # an interrupted earlier run
        try:
            up = stack.compose("up", "--detach", "--scale", f"clarion={replicas}", check=False)
            if up.returncode != 0:
                logs = stack.compose("logs", "--no-color", "--tail", "40", check=False).stdout
                raise RuntimeError(f"compose up failed:\n{up.stderr[-2000:]}\n{logs[-6000:]}")
            for container in stack.replicas():
                docker.wait_healthy(container)
            yield stack
        finally:
            stack.compose("down", "--volumes", "--timeout", "30", check=False)
