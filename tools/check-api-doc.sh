#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Checks docs/api.md (the contract shipped for national backend teams) against the code and docs/openapi.yaml,
# without a Swift build:
#   1. every status message the gateway sends appears verbatim in docs/api.md. The messages are collected from
#      Sources/EFGSGateway and Sources/EFGSProtocol: `APIError(<status>, "…")` and the helpers that wrap it
#      (`refusal(<status>, "…")`, `notFound("…")`, `Self.refusal("…")` of a helper whose first parameter is the
#      message, a constant such as `Self.notAuthorized`), `APIResponse.error(<status>, "…")`, the negotiation
#      failures (`status: <n>, message: "…"`), the `message` properties of the error enums, and the key validation
#      reasons (`fail("<field>", "<reason>")`, written `<field>: <reason>`). `\(…)` in a message matches any text
#      (docs/api.md writes `<tag>`). An `APIError(` construction the script cannot classify fails the check, so a new
#      way of building a refusal is not silently skipped;
#   2. every path of docs/openapi.yaml appears in docs/api.md;
#   3. every `message` value (`const`/`enum`) of docs/openapi.yaml appears in docs/api.md;
#   4. every citation `docs/api.md §N` in Sources, docs, deploy, README.md and efgs.sample.yaml names a section that
#      docs/api.md has (a heading `§N`), and so does every `§N` of docs/openapi.yaml (which cites docs/api.md).
# Prints one line per missing item and exits 1; .ci/run runs it next to `tools/gen-openapi.sh --check`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import pathlib
import re
import sys

doc_path = pathlib.Path("docs/api.md")
openapi_path = pathlib.Path("docs/openapi.yaml")
doc = doc_path.read_text(encoding="utf-8")
problems = []

STR = r'"((?:[^"\\\n]|\\.)*)"'
IDENT = r"(?:Self\.)?[A-Za-z_][\w.]*"


def unescape(s):
    return re.sub(r'\\(["\\])', r"\1", s).replace("\\n", "\n").replace("\\t", "\t")


def in_doc(message):
    """Verbatim, or with each `\\(…)` interpolation matching any text within a line."""
    if "\\(" not in message:
        return unescape(message) in doc
    parts = re.split(r"\\\([^()]*(?:\([^()]*\)[^()]*)*\)", message)
    pattern = "[^\n]+?".join(re.escape(unescape(p)) for p in parts)
    return re.search(pattern, doc) is not None


def code_text(path):
    """The file without full-line comments (doc comments cite messages too, but are not sent)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return "\n".join("" if l.lstrip().startswith("//") else l for l in lines)


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


files = [
    p
    for root in ("Sources/EFGSGateway", "Sources/EFGSProtocol")
    for p in sorted(pathlib.Path(root).rglob("*.swift"))
    if p.name != "OpenAPIDocument.swift"  # generated from docs/openapi.yaml (check 3 covers it)
]
messages = []  # (message, status or "", where)
# identifiers that carry a message collected by another rule (the error enums' `message`, a helper's parameter)
passthrough = {"message", "failure.message", "error.message", "e.message"}

for path in files:
    text = code_text(path)
    constants = dict(re.findall(r"\blet\s+(\w+)\s*=\s*" + STR, text))
    consumed = set()

    def resolve(expression, status, offset, strict=True):
        where = f"{path}:{line_of(text, offset)}"
        if expression.startswith('"'):
            messages.append((expression[1:-1], status, where))
            return
        name = expression.removeprefix("Self.")
        if name in constants:
            messages.append((constants[name], status, where))
        elif strict and expression not in passthrough:
            problems.append(f"check-api-doc: cannot resolve the message {expression} at {where}; extend the script")

    # 1a. status and message: APIError(400, "…"), refusal(403, Self.notAuthorized, …), .error(404, "Not Found")
    call = r"\b(APIError|refusal|notFound|tooManyKeys|error)\(\s*(\d{3})\s*,\s*(" + STR + "|" + IDENT + ")"
    for m in re.finditer(call, text):
        consumed.add(m.start())
        resolve(m.group(3), m.group(2), m.start())
    # 1b. helpers taking the message first and wrapping APIError(<status>, message, …)
    helpers = {}
    for m in re.finditer(r"static func (\w+)\(_ message: String[^{]*\{\s*APIError\(\s*(\d{3})\s*,\s*message\b", text):
        helpers[m.group(1)] = m.group(2)
    for name, status in helpers.items():
        for m in re.finditer(r"(?:Self\.)?\b" + name + r"\(\s*(" + STR + "|" + IDENT + r")\s*,", text):
            if not text[m.start():].startswith(name + "(_"):
                # an identifier that is no constant is another overload's argument (`refusal(violation, url:)`)
                resolve(m.group(1), status, m.start(), strict=False)
    # 1c. negotiation failures: .init(status: 406, message: "…")
    for m in re.finditer(r"status:\s*(\d{3})\s*,\s*message:\s*" + STR, text):
        messages.append((m.group(2), m.group(1), f"{path}:{line_of(text, m.start())}"))
    # 1d. `message` properties of the error enums and structs: every string they return
    for m in re.finditer(r"var message: String \{", text):
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        for s in re.finditer(STR, text[m.end():i]):
            messages.append((s.group(1), "", f"{path}:{line_of(text, m.end() + s.start())}"))
    # 1e. key validation reasons: fail("<field>", "<reason>") → `<field>: <reason>`
    for m in re.finditer(r'\bfail\(\s*"(\w+)"\s*,\s*' + STR + r"\s*\)", text):
        messages.append((f"{m.group(1)}: {m.group(2)}", "400", f"{path}:{line_of(text, m.start())}"))
    # every APIError construction must be one of the forms above
    for m in re.finditer(r"\bAPIError\(", text):
        rest = text[m.end():m.end() + 40].lstrip()
        if m.start() in consumed or re.match(r"(status|failure|\$0)\s*,", rest) or re.match(r"\d{3}\s*,\s*message\b", rest):
            continue
        problems.append(f"check-api-doc: unclassified APIError construction at {path}:{line_of(text, m.start())}")

if len(messages) < 30:
    problems.append(f"check-api-doc: only {len(messages)} messages found in the code; the patterns no longer match")
seen = set()
for message, status, where in messages:
    if message in seen:
        continue
    seen.add(message)
    if not in_doc(message):
        label = f"{status} " if status else ""
        problems.append(f'check-api-doc: docs/api.md lacks the {label}message "{unescape(message)}" ({where})')

# 2. and 3. docs/openapi.yaml: its paths and its message values
yaml_lines = openapi_path.read_text(encoding="utf-8").split("\n")
paths, in_paths = [], False
for line in yaml_lines:
    if re.match(r"^\S", line):
        in_paths = line.startswith("paths:")
    elif in_paths and (m := re.match(r"^  (/\S*):\s*$", line)):
        paths.append(m.group(1))
if not paths:
    problems.append("check-api-doc: no paths found in docs/openapi.yaml")
for p in paths:
    # the whole path: `/diagnosiskeys/callback` inside `/diagnosiskeys/callback/{callbackId}` does not count
    if not re.search(re.escape(p) + r"(?![\w/{])", doc):
        problems.append(f"check-api-doc: docs/api.md lacks the path {p} of docs/openapi.yaml")


def scalar(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        v = v[1:-1]
    return v


openapi_messages = []
for i, line in enumerate(yaml_lines):
    m = re.match(r"^(\s*)message:\s*$", line)
    if not m:
        continue
    indent = len(m.group(1))
    j = i + 1
    while j < len(yaml_lines) and (not yaml_lines[j].strip() or len(yaml_lines[j]) - len(yaml_lines[j].lstrip()) > indent):
        item = yaml_lines[j].strip()
        if c := re.match(r"^(?:- )?const:\s*(.+)$", item):
            openapi_messages.append((scalar(c.group(1)), j + 1))
        elif item.startswith("- ") and not re.match(r"^- (const|pattern):", item):
            openapi_messages.append((scalar(item[2:]), j + 1))
        j += 1
for message, line in openapi_messages:
    if message not in doc:
        problems.append(f'check-api-doc: docs/api.md lacks the message "{message}" of docs/openapi.yaml:{line}')

# 4. citations of docs/api.md sections
sections = set(re.findall(r"^#+ §(\d+(?:\.\d+)*)", doc, re.M))
cited = 0
for root in ("Sources", "docs", "deploy", "README.md", "efgs.sample.yaml"):
    base = pathlib.Path(root)
    for path in sorted([base] if base.is_file() else (p for p in base.rglob("*") if p.is_file())):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        citation = r"§(\d+(?:\.\d+)*)" if path == openapi_path else r"docs/api\.md §(\d+(?:\.\d+)*)"
        for m in re.finditer(citation, text):
            cited += 1
            if m.group(1) not in sections:
                where = f"{path}:{line_of(text, m.start())}"
                problems.append(f"check-api-doc: {where} cites docs/api.md §{m.group(1)}, which has no such section")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(
    f"check-api-doc: docs/api.md names all {len(seen)} messages the code sends, the {len(paths)} paths and "
    f"{len(openapi_messages)} messages of docs/openapi.yaml; {cited} citations of its sections resolve"
)
PY
