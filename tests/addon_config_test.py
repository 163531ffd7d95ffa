#!/usr/bin/env python3
"""addon/config.yaml follows the rules the Home Assistant Supervisor checks before it lists an add-on
(home-assistant/supervisor: supervisor/addons/validate.py _SCHEMA_ADDON_CONFIG, RE_SERVICE and the
watchdog pattern; addons/options.py RE_SCHEMA_ELEMENT; addons/const.py RE_SLUG; const.py ARCH_ALL),
its version is the project's, and its options match its schema. A config the Supervisor refuses
makes the add-on vanish from the store without an error, so these are checked here."""
import re, sys
import yaml

source = sys.argv[1]
config = yaml.safe_load(open(f"{source}/addon/config.yaml"))
project_version = re.search(r"project\(wyze-mqtt-bridge VERSION ([0-9.]+)", open(f"{source}/CMakeLists.txt").read()).group(1)

RE_SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
RE_SERVICE = re.compile(r"^(?P<service>mqtt|mysql):(?P<rights>provide|want|need)$")
RE_WATCHDOG = re.compile(r"^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$")
RE_SCHEMA_ELEMENT = re.compile(
    r"^(?:|bool|email|url|port|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)|list\((?P<list>.+)\))\??$")
ARCH_ALL = {"armhf", "armv7", "aarch64", "amd64", "i386"}
STARTUP = {"initialize", "system", "services", "application", "once"}
passed = failed = 0

def check(what, ok):
    global passed, failed
    print(("ok: " if ok else "FAIL: ") + what)
    passed, failed = passed + bool(ok), failed + (not ok)

def element_ok(element):
    if isinstance(element, str):
        return bool(RE_SCHEMA_ELEMENT.match(element))
    if isinstance(element, list):
        return len(element) == 1 and not isinstance(element[0], list) and element_ok(element[0])
    if isinstance(element, dict):
        return all(isinstance(k, str) and element_ok(v) for k, v in element.items())
    return False

for key, kind in (("name", str), ("version", str), ("slug", str), ("description", str), ("arch", list)):
    check(f"{key} is present and a {kind.__name__}", isinstance(config.get(key), kind))
check(f"version is the project's ({project_version})", config.get("version") == project_version)
check("slug matches the Supervisor's RE_SLUG", bool(RE_SLUG.match(config.get("slug", ""))))
check("arch lists only the Supervisor's architectures, amd64 and aarch64 among them",
      set(config["arch"]) <= ARCH_ALL and {"amd64", "aarch64"} <= set(config["arch"]))
check("startup is a Supervisor startup type", config.get("startup", "application") in STARTUP)
check("services: mqtt:need, in the Supervisor's format",
      "mqtt:need" in config.get("services", []) and all(RE_SERVICE.match(s) for s in config.get("services", [])))
check("watchdog asks /healthz on the metrics port, in the Supervisor's format",
      bool(RE_WATCHDOG.match(config.get("watchdog", ""))) and config["watchdog"].endswith(":[PORT:9105]/healthz"))
schema, options = config.get("schema", {}), config.get("options", {})
for key, element in schema.items():
    check(f"schema.{key} is an element the Supervisor knows ({element})", element_ok(element))
check("every option has a schema entry and every schema entry an option", set(schema) == set(options))
for secret in ("password", "key_id", "api_key", "totp_key"):
    check(f"{secret} is a password field (hidden in the UI)", str(schema.get(secret, "")).startswith("password"))
for key in ("email", "password", "poll_interval", "log_level", "include", "exclude"):
    check(f"the options cover {key}", key in options)
for choice in ("auth", "discovery_mode", "log_level"):
    element = schema[choice]
    words = element[len("list("):-1].split("|") if element.startswith("list(") else []
    check(f"the default of {choice} is one of its choices", options[choice] in words)
check("the default poll_interval matches its pattern",
      re.match(schema["poll_interval"][len("match("):-1], options["poll_interval"]) is not None)
check("the default base_topic matches its pattern",
      re.match(schema["base_topic"][len("match("):-1], options["base_topic"]) is not None)
build_from = yaml.safe_load(open(f"{source}/addon/build.yaml"))["build_from"]
check("build.yaml bases every architecture on Home Assistant's Debian 12 base of that architecture",
      all(build_from.get(arch) == f"ghcr.io/home-assistant/{arch}-base-debian:bookworm" for arch in config["arch"]))
addon_dockerfile = open(f"{source}/addon/Dockerfile").read()
check("the add-on's Dockerfile depends on no image of the project (the Supervisor builds it from source)",
      "ghcr.io/wyze-mqtt-bridge" not in addon_dockerfile and "FROM ${BUILD_FROM} AS build" in addon_dockerfile)
check("it builds the tagged source of this version from the repository the add-on names",
      f"ARG BUILD_VERSION={project_version}\n" in addon_dockerfile and
      f"ARG SOURCE_URL={config['url']}/archive/refs/tags/v${{BUILD_VERSION}}.tar.gz\n" in addon_dockerfile)


def packages(dockerfile):
    """The packages of each apt-get install, in stage order."""
    return [set(re.findall(r"[a-z0-9][a-z0-9.+-]+", m.split("&&")[0].replace("\\\n", " ")))
            for m in re.findall(r"--no-install-recommends((?:[^\n]*\\\n)*[^\n]*)", dockerfile)]


main_stages = packages(open(f"{source}/Dockerfile").read())
addon_stages = packages(addon_dockerfile)
check("its build and runtime stages install at least the Dockerfile's packages (no drift)",
      len(main_stages) == 2 and len(addon_stages) == 2 and
      all(m <= a for m, a in zip(main_stages, addon_stages)))
repository = yaml.safe_load(open(f"{source}/repository.yaml"))
check("repository.yaml names the repository", bool(repository.get("name")) and bool(repository.get("url")))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
