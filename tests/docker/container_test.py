#!/usr/bin/python3
"""The qbake-server image, built and run for real with Debian's Docker engine.

Usage: container_test.py [--compile-in-image] REPO_ROOT BUILD_DIR
  BUILD_DIR  a Release build of the same sources with qbake, qbake-server and
             stream_bench (the local bakes the container's are compared with, and the
             large model's files)
  --compile-in-image  compile qbake inside the image's build stage, as a plain
             `docker build` does; without it the image takes BUILD_DIR's qbake-server and
             qbake (the Dockerfile's QBAKE_PREBUILT), so CI compiles the sources once

Steps, each failing the test with a message when it does not hold:
 1. A Docker engine: dockerd is started (and stopped at the end) when none answers.
    Base images debian:bookworm and debian:bookworm-slim are made with debootstrap
    (--variant=minbase) and `docker import` when missing: no registry is reachable.
 2. docker/Dockerfile builds, tagged qbake-server:VERSION (CMake's project version),
    from BUILD_DIR's binaries or (--compile-in-image) compiling them.
 3. The manifests of docker/k8s parse (python3-yaml) and agree with each other and
    with the image: the Deployment runs that tag; its probes reach the health port
    its args open; the Service's and the scrape annotation's ports are container
    ports; the PodDisruptionBudget selects the pods.
 4. The container starts with exactly the command line the Deployment composes: the
    image's ENTRYPOINT with the Deployment's args (CMD replaced) after Kubernetes'
    $(VAR) expansion of its env, the downward API's requests.cpu resolved from its
    resources; as its runAsUser, on a read-only root filesystem, with its CPU and
    memory. Docker's health status turns healthy through the image's own
    HEALTHCHECK, and that command run by hand prints SERVING.
 5. Every e2e sample baked through the published port equals a local bake, byte for
    byte; the metrics port counts those calls.
 6. `docker stop` (SIGTERM, then SIGKILL after terminationGracePeriodSeconds) while a
    256 MiB bake is in flight: the bake completes (exit 0, equal to a local bake) and
    the container exits 0.
 7. The README's command that installs the Python package, run as root in a fresh
    debian:bookworm container (the repository mounted read-only): the package then
    imports in that container's python3 and asks the server of 4 for its health
    and version over the host's loopback.
 8. Three replica containers, run as in 4, on a network the test makes, behind the
    front proxy (docker/proxy/Dockerfile: Debian's HAProxy with docker/haproxy.cfg,
    the replicas found through one DNS name): 4 clients x 5 bakes of a 64 MiB model
    through the proxy while one replica is killed (SIGKILL) with a call in flight
    (its metrics say so): every bake succeeds, byte-identical to a local bake.
Prints each step's time, the image size and the container's start-up time.
"""

import glob
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import yaml

LARGE_BYTES = 256 << 20
REPLICA_MODEL_BYTES = 64 << 20
REPLICAS = 3
CLIENTS = 4
BAKES_PER_CLIENT = 5
# The folder of the build context that holds BUILD_DIR's binaries while the image builds.
PREBUILT_FOLDER = ".docker-prebuilt"


class Failure(Exception):
    pass


def run(command, **kwargs):
    """Runs `command`, raising Failure with its output when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise Failure("%s: exit %d\n%s%s" % (" ".join(command), result.returncode,
                                             result.stdout[-4000:], result.stderr[-4000:]))
    return result.stdout


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_until(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise Failure("timed out after %d s waiting for %s" % (seconds, what))


class Step:
    """Times a step and prints it."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.start = time.monotonic()
        print("== %s" % self.name, flush=True)

    def __exit__(self, *exc):
        print("   %s: %.1f s" % (self.name, time.monotonic() - self.start), flush=True)


def engine_answers():
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def start_engine(workdir):
    """dockerd, when no engine answers; returns the process this test started, or None."""
    if engine_answers():
        return None
    log = open(os.path.join(workdir, "dockerd.log"), "w")
    process = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT)
    wait_until(engine_answers, 60, "dockerd to answer")
    return process


def ensure_base_images(workdir):
    missing = [tag for tag in ("debian:bookworm", "debian:bookworm-slim")
               if subprocess.run(["docker", "image", "inspect", tag],
                                 capture_output=True).returncode != 0]
    if not missing:
        return
    rootfs = os.path.join(workdir, "rootfs")
    run(["debootstrap", "--variant=minbase", "bookworm", rootfs, "http://deb.debian.org/debian"])
    tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
    run(["docker", "import", "-", missing[0]], stdin=tar.stdout)
    check(tar.wait() == 0, "tar of the debootstrap root failed")
    for tag in missing[1:]:
        run(["docker", "tag", missing[0], tag])
    shutil.rmtree(rootfs, ignore_errors=True)


def project_version(root):
    text = open(os.path.join(root, "CMakeLists.txt")).read()
    return re.search(r"project\(qbake VERSION ([0-9.]+)", text).group(1)


def describe(root):
    result = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"],
                            capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def manifests(root):
    documents = {}
    for path in sorted(glob.glob(os.path.join(root, "docker/k8s/*.yaml"))):
        for document in yaml.safe_load_all(open(path)):
            documents[document["kind"]] = document
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        check(kind in documents, "docker/k8s has no %s" % kind)
    return documents


def flag_value(args, flag):
    check(flag in args, "the Deployment's args have no %s" % flag)
    return args[args.index(flag) + 1]


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def check_manifests(documents, image):
    deployment = documents["Deployment"]
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    labels = pod["metadata"]["labels"]
    check(container["image"] == image,
          "the Deployment runs %s, the image built is %s" % (container["image"], image))
    check("command" not in container, "the Deployment must not replace the ENTRYPOINT")
    args = container["args"]
    ports = {port["containerPort"] for port in container["ports"]}
    health = port_of(flag_value(args, "--health-listen"))
    metrics = port_of(flag_value(args, "--metrics-listen"))
    for probe in ("readinessProbe", "livenessProbe"):
        check(container[probe]["grpc"]["port"] == health,
              "%s does not reach the health port %d" % (probe, health))
    check(int(pod["metadata"]["annotations"]["prometheus.io/port"]) == metrics,
          "the scrape annotation does not name the metrics port")
    check({port_of(flag_value(args, "--listen")), health, metrics} <= ports,
          "every port the args open is a container port")
    named = {port["name"]: port["containerPort"] for port in container["ports"]}
    for port in documents["Service"]["spec"]["ports"]:
        check(port["targetPort"] in named, "the Service targets a port the pod lacks")
    for kind in ("Service", "PodDisruptionBudget"):
        selector = documents[kind]["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        check(all(labels.get(k) == v for k, v in selector.items()),
              "the %s does not select the Deployment's pods" % kind)
    check(documents["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] ==
          deployment["metadata"]["name"], "the autoscaler scales another Deployment")
    grace = float(flag_value(args, "--grace-period"))
    check(pod["spec"]["terminationGracePeriodSeconds"] > grace,
          "terminationGracePeriodSeconds must exceed --grace-period")


def quantity(text):
    """A Kubernetes CPU or memory quantity as a number (cores or bytes)."""
    units = {"m": 1e-3, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}
    for unit, factor in units.items():
        if str(text).endswith(unit):
            return float(str(text)[:-len(unit)]) * factor
    return float(text)


def pod_environment(container):
    """The container's env as Kubernetes sets it, downward API resources resolved."""
    environment = {}
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
            continue
        field = variable["valueFrom"]["resourceFieldRef"]
        kind, resource = field["resource"].split(".")
        amount = quantity(container["resources"][kind][resource]) / quantity(
            field.get("divisor", "1"))
        environment[variable["name"]] = str(math.ceil(amount))
    return environment


def expand(text, environment):
    """Kubernetes' $(VAR) expansion of an arg."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda match: environment.get(match.group(1), match.group(0)), text)


def docker_run_command(documents, image, name):
    """`docker run` for the Deployment's container, and the command line it runs."""
    pod = documents["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    environment = pod_environment(container)
    args = [expand(arg, environment) for arg in container["args"]]
    entrypoint = json.loads(run(["docker", "image", "inspect", "--format",
                                 "{{json .Config.Entrypoint}}", image]))
    command = ["docker", "run", "-d", "--name", name,
               "--user", str(pod["securityContext"]["runAsUser"]),
               "--stop-timeout", str(pod["terminationGracePeriodSeconds"])]
    if container["securityContext"].get("readOnlyRootFilesystem"):
        command.append("--read-only")
    if container["securityContext"].get("allowPrivilegeEscalation") is False:
        command += ["--security-opt", "no-new-privileges"]
    resources = container["resources"]
    command += ["--cpus", str(quantity(resources["requests"]["cpu"]))]
    command += ["--memory", str(int(quantity(resources["limits"]["memory"])))]
    for key, value in environment.items():
        command += ["-e", "%s=%s" % (key, value)]
    for port in container["ports"]:
        command += ["-p", "127.0.0.1::%d" % port["containerPort"]]
    return command + [image] + args, entrypoint + args


def replicas_behind_proxy(root, documents, image, name, qbake, stream_bench, workdir):
    """Step 7; the containers and the network are removed by the caller (`name`-*)."""
    network, proxy = name + "-net", name + "-proxy"
    run(["docker", "network", "create", network])
    proxy_image = image.replace("qbake-server", "qbake-proxy")
    run(["docker", "build", "-q", "-f", os.path.join(root, "docker/proxy/Dockerfile"), "-t",
         proxy_image, root], env=dict(os.environ, DOCKER_BUILDKIT="0"))
    replicas = ["%s-replica%d" % (name, i) for i in range(REPLICAS)]
    for replica in replicas:
        command, _ = docker_run_command(documents, image, replica)
        run(command[:3] + ["--network", network, "--network-alias", "qbake-replica"] + command[3:])
    run(["docker", "run", "-d", "--name", proxy, "--network", network, "-p", "127.0.0.1::50051",
         "-e", "QBAKE_PROXY_LISTEN=0.0.0.0:50051", "-e", "QBAKE_REPLICAS=qbake-replica:50051",
         proxy_image])
    server = "127.0.0.1:%d" % published_port(proxy, 50051)
    for replica in replicas:
        wait_until(lambda: container_state(replica, ".State.Health.Status") == "healthy", 90,
                   "%s to be healthy" % replica)
    wait_until(lambda: subprocess.run([qbake, "health", "--server", server],
                                      capture_output=True).returncode == 0, 60,
               "SERVING through the proxy")
    time.sleep(3)  # the proxy's checks have found every replica (rise 2, every second)

    inputs, expected = tempfile.mkdtemp(dir=workdir), tempfile.mkdtemp(dir=workdir)
    run([stream_bench, "files", inputs, str(REPLICA_MODEL_BYTES)])
    model, config = os.path.join(inputs, "model.onnx"), os.path.join(inputs, "config.json")
    check(bake(qbake, model, config, expected).returncode == 0, "local bake failed")
    results, lock = [], threading.Lock()

    def client():
        for _ in range(BAKES_PER_CLIENT):
            out = tempfile.mkdtemp(dir=workdir)
            result = bake(qbake, model, config, out, server)
            ok = result.returncode == 0 and same_outputs(expected, out)
            shutil.rmtree(out, ignore_errors=True)
            with lock:
                results.append((ok, result))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    victim_metrics = published_port(replicas[0], 9090)
    wait_until(lambda: len(results) >= CLIENTS and
               metric(scrape(victim_metrics), "qbake_calls_in_flight") >= 1, 120,
               "a call in flight on %s" % replicas[0])
    run(["docker", "kill", replicas[0]])
    for thread in threads:
        thread.join()
    failed = [result.stderr for ok, result in results if not ok]
    check(not failed, "%d of %d bakes through the proxy failed: %s" % (
        len(failed), len(results), failed[:2]))
    retries = sum(result.stderr.count("qbake: warning:") for _, result in results)
    check(retries >= 1, "no bake was replayed, though one was in flight on the killed replica")
    print("   %d bakes through the proxy, one replica killed mid-bake: 0 failed, %d retried" %
          (len(results), retries))


def published_port(name, port):
    return int(run(["docker", "port", name, "%d/tcp" % port]).split(":")[-1])


def container_state(name, field):
    return run(["docker", "inspect", "--format", "{{%s}}" % field, name]).strip()


def bake(qbake, model, config, out, server=None):
    command = [qbake, "bake", model, "--config", config, "--output", os.path.join(out, "out.onnx")]
    if server:
        command += ["--server", server, "--deadline", "300"]
    return subprocess.run(command, capture_output=True, text=True)


def same_outputs(left, right):
    """Whether two output folders hold the same files (model, config, external data)."""
    names = sorted(os.listdir(left))
    if names != sorted(os.listdir(right)) or "out.onnx" not in names:
        return False
    return all(open(os.path.join(left, name), "rb").read() ==
               open(os.path.join(right, name), "rb").read() for name in names)


def bake_both_ways(qbake, model, config, server, workdir, label):
    local, remote = (tempfile.mkdtemp(dir=workdir) for _ in range(2))
    here = bake(qbake, model, config, local)
    check(here.returncode == 0, "%s: local bake failed: %s" % (label, here.stderr))
    there = bake(qbake, model, config, remote, server)
    check(there.returncode == 0, "%s: bake in the container failed: %s" % (label, there.stderr))
    check(same_outputs(local, remote), "%s: the container's outputs differ" % label)


def metric(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    return -1


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as response:
        return response.read().decode()


def readme_python_install(root):
    """The shell command of the README's "Python: the `qbake` package" section."""
    with open(os.path.join(root, "README.md")) as readme:
        text = readme.read()
    section = text[text.index("## Python: the `qbake` package"):]
    start = section.index("```sh\n") + len("```sh\n")
    return section[start:section.index("\n```", start)].strip()


def python_package_in_fresh_container(root, server, version):
    """Step 7: the README's install command in debian:bookworm, then a call from there."""
    probe = ("import qbake; c = qbake.Client(%r); print(c.health(), c.info().version)"
             % server)
    script = "set -e\ncd /src\n%s\ncd /\npython3 -c %s\n" % (
        readme_python_install(root), shlex.quote(probe))
    output = run(["docker", "run", "--rm", "--network", "host", "-e",
                  "DEBIAN_FRONTEND=noninteractive", "-v", root + ":/src:ro", "debian:bookworm",
                  "bash", "-c", script]).strip().splitlines()
    check(output and output[-1].startswith("SERVING " + version),
          "the installed package did not reach the server: %s" % output[-3:])
    print("   %s" % output[-1])


def build_image(root, build, image, compile_in_image):
    """Builds docker/Dockerfile as `image`, from BUILD_DIR's binaries (copied into a
    folder of the build context for the time of the build) unless compile_in_image."""
    arguments = ["--build-arg", "QBAKE_DESCRIBE=" + describe(root)]
    prebuilt = os.path.join(root, PREBUILT_FOLDER)
    if not compile_in_image:
        os.makedirs(prebuilt, exist_ok=True)
        for binary in ("server/qbake-server", "cli/qbake"):
            shutil.copy2(os.path.join(build, binary), prebuilt)
        arguments += ["--build-arg", "QBAKE_PREBUILT=" + PREBUILT_FOLDER]
    try:
        run(["docker", "build", "-q", "-f", os.path.join(root, "docker/Dockerfile"), "-t", image]
            + arguments + [root], env=dict(os.environ, DOCKER_BUILDKIT="0"))
    finally:
        shutil.rmtree(prebuilt, ignore_errors=True)


def main(root, build, compile_in_image):
    qbake = os.path.join(build, "cli/qbake")
    stream_bench = os.path.join(build, "tests/bench/stream_bench")
    version = project_version(root)
    image = "qbake-server:%s" % version
    name = "qbake-container-test-%d" % os.getpid()
    workdir = tempfile.mkdtemp(prefix="qbake-container-test-")
    engine = None
    try:
        with Step("Docker engine and base images"):
            engine = start_engine(workdir)
            ensure_base_images(workdir)
        with Step("docker build"):
            build_image(root, build, image, compile_in_image)
            size = int(run(["docker", "image", "inspect", "--format", "{{.Size}}", image]))
            print("   image %s: %.0f MB" % (image, size / 1e6))
        documents = manifests(root)
        check_manifests(documents, image)
        with Step("start as the Deployment composes it"):
            docker_run, command_line = docker_run_command(documents, image, name)
            print("   command line: %s" % " ".join(command_line))
            started = time.monotonic()
            run(docker_run)
            health_port = published_port(name, 50052)
            wait_until(lambda: subprocess.run(
                [qbake, "health", "--server", "127.0.0.1:%d" % health_port],
                capture_output=True).returncode == 0, 60, "the health port to answer SERVING")
            print("   serving after %.1f s (health port, from the host)" %
                  (time.monotonic() - started))
            wait_until(lambda: container_state(name, ".State.Health.Status") == "healthy", 90,
                       "Docker's HEALTHCHECK to report healthy")
            print("   healthy after %.1f s" % (time.monotonic() - started))
            health = json.loads(container_state(name, "json .Config.Healthcheck.Test"))
            check(health[0] == "CMD", "the HEALTHCHECK is not an exec form: %s" % health)
            check(run(["docker", "exec", name] + health[1:]).strip() == "SERVING",
                  "the HEALTHCHECK command does not print SERVING")
            check(json.loads(container_state(name, "json .Args")) == command_line[1:] and
                  container_state(name, ".Path") == command_line[0],
                  "the container runs %s %s" % (container_state(name, ".Path"),
                                                container_state(name, "json .Args")))
            user = str(documents["Deployment"]["spec"]["template"]["spec"]["securityContext"]
                       ["runAsUser"])
            check(run(["docker", "exec", name, "id", "-u"]).strip() == user,
                  "the server does not run as user %s" % user)
            check(subprocess.run(["docker", "exec", name, "touch", "/written"],
                                 capture_output=True).returncode != 0,
                  "the root filesystem is writable")
            version_line = run(["docker", "exec", name, "qbake-server", "--version"]).strip()
            check(version_line.startswith("qbake-server " + version), version_line)
            print("   %s" % version_line)
        grpc_port = published_port(name, 50051)
        metrics_port = published_port(name, 9090)
        server = "127.0.0.1:%d" % grpc_port
        with Step("every e2e sample through the container"):
            cases = sorted(glob.glob(os.path.join(root, "tests/data/ppq_e2e/*/")))
            check(cases, "no e2e samples")
            for case in cases:
                bake_both_ways(qbake, case + "model.onnx", case + "ppq_config.json", server,
                               workdir, os.path.basename(case.rstrip("/")))
            # A sample whose tensors the CLI leaves in its files goes by BakeStream.
            scraped = scrape(metrics_port)
            calls = sum(max(metric(scraped, 'qbake_calls_total{code="OK",method="%s"}' % method),
                            0) for method in ("Bake", "BakeStream"))
            check(calls == len(cases), "the metrics count %s OK Bake and BakeStream calls, not %d"
                  % (calls, len(cases)))
            print("   %d samples byte-identical to local bakes" % len(cases))
        with Step("the README's Python install in a fresh container"):
            python_package_in_fresh_container(root, server, version)
        with Step("docker stop during a 256 MiB bake"):
            large = tempfile.mkdtemp(dir=workdir)
            run([stream_bench, "files", large, str(LARGE_BYTES)])
            model, config = os.path.join(large, "model.onnx"), os.path.join(large, "config.json")
            local, remote = (tempfile.mkdtemp(dir=workdir) for _ in range(2))
            check(bake(qbake, model, config, local).returncode == 0, "local large bake failed")
            in_flight = subprocess.Popen(
                [qbake, "bake", model, "--config", config, "--output",
                 os.path.join(remote, "out.onnx"), "--server", server, "--deadline", "300",
                 "--retries", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            wait_until(lambda: metric(scrape(metrics_port), "qbake_calls_in_flight") >= 1, 60,
                       "the large bake to be in flight")
            stopped = time.monotonic()
            run(["docker", "stop", name])
            out, err = in_flight.communicate(timeout=300)
            check(in_flight.returncode == 0, "the bake in flight failed on docker stop: " + err)
            check(same_outputs(local, remote), "the bake in flight differs from a local bake")
            exit_code = container_state(name, ".State.ExitCode")
            check(exit_code == "0", "the container exited %s after docker stop" % exit_code)
            print("   bake completed, container exited 0, %.1f s after docker stop" %
                  (time.monotonic() - stopped))
        with Step("three replicas behind the front proxy, one killed"):
            replicas_behind_proxy(root, documents, image, name, qbake, stream_bench, workdir)
    finally:
        containers = run(["docker", "ps", "-aq", "--filter", "name=" + name]).split()
        if containers:
            subprocess.run(["docker", "rm", "-f"] + containers, capture_output=True)
        subprocess.run(["docker", "network", "rm", name + "-net"], capture_output=True)
        if engine is not None:
            engine.terminate()
            engine.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)
    print("container: OK")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    compile_in_image = "--compile-in-image" in arguments
    if compile_in_image:
        arguments.remove("--compile-in-image")
    if len(arguments) != 2:
        sys.exit(__doc__)
    try:
        main(arguments[0], arguments[1], compile_in_image)
    except Failure as failure:
        print("FAIL: %s" % failure)
        sys.exit(1)
