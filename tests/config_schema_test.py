#!/usr/bin/env python3
"""config.schema.json is a valid JSON Schema, config.example.yaml follows it and names it for editors
(yaml-language-server), and it refuses what the bridge refuses (so the check can fail).
(That the schema and the parser know the same keys is a unit test: config_test.cpp.)"""
import json, sys
import jsonschema, yaml

source = sys.argv[1]
schema = json.load(open(f"{source}/config.schema.json"))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
passed = failed = 0

def check(what, ok):
    global passed, failed
    print(("ok: " if ok else "FAIL: ") + what)
    passed, failed = passed + ok, failed + (not ok)

example_text = open(f"{source}/config.example.yaml").read()
example = yaml.safe_load(example_text)
errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(example)]
check("config.example.yaml is valid against config.schema.json" + "".join("\n  " + e for e in errors), not errors)
check("config.example.yaml names the schema for yaml-language-server",
      "# yaml-language-server: $schema=" in example_text.splitlines()[0] and "config.schema.json" in example_text.splitlines()[0])

# Every key of the schema has a default and a description, and the example shows each key.
for section, body in schema["properties"].items():
    for key, spec in body["properties"].items():
        check(f"{section}.{key} has a default and a description", "default" in spec and "description" in spec)
        if not key.endswith("_file"):
            check(f"config.example.yaml shows {section}.{key}", key in (example.get(section) or {}))

bad = {
    "an unknown key": {"wyze": {"pol_interval": "60s"}},
    "an unknown section": {"wyz": {}},
    "a duration with a unit the bridge does not know": {"wyze": {"poll_interval": "60 seconds"}},
    "a size with a unit the bridge does not know": {"wyze": {"max_response": "64M"}},
    "QoS 3": {"mqtt": {"qos": 3}},
    "a topic with a wildcard": {"mqtt": {"base_topic": "wyze/#"}},
    "an auth mode that does not exist": {"wyze": {"auth": "oauth"}},
    "an http:// API URL": {"wyze": {"api_url": "http://api.wyzecam.com"}},
    "a client id longer than 23 characters": {"mqtt": {"client_id": "x" * 24}},
    "a listen address without a port": {"metrics": {"listen": "127.0.0.1"}},
}
for what, document in bad.items():
    check(f"the schema refuses {what}", not validator.is_valid(document))
good = {"wyze": {"poll_interval": 90, "timeout": "1500ms", "max_response": "1GiB", "include": None},
        "metrics": {"listen": "[::1]:9105"}}
check("the schema accepts 90, 1500ms, 1GiB, an empty list and [::1]:9105", validator.is_valid(good))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
