#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# The licence header convention (CONTRIBUTING.md): every source file of the repository that we write names its
# licence in its first line, `// SPDX-License-Identifier: EUPL-1.2` (Swift, C, Java) or `# …` (shell, Python)
# followed by a blank line, or in its second line when the first must be a `#!` line or `// swift-tools-version`.
# The protobuf code that protoc-gen-swift generates is left as generated.
#   tools/check-headers.sh        exit 1 naming every file without the header (.ci/run)
#   tools/check-headers.sh --fix  add the header where it is missing
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0
[ "${1:-}" = "--fix" ] && fix=1
spdx="SPDX-License-Identifier: EUPL-1.2"
missing=0
while IFS= read -r file; do
  case "$file" in
    *.swift | *.c | *.h | *.java) header="// $spdx" ;;
    *) header="# $spdx" ;;
  esac
  first=$(head -n 1 "$file")
  case "$first" in
    '#!'* | '// swift-tools-version'*) line=2 ;;
    *) line=1 ;;
  esac
  [ "$(sed -n "${line}p" "$file")" = "$header" ] && continue
  if [ "$fix" = 1 ]; then
    if [ "$line" = 2 ]; then
      { printf '%s\n%s\n' "$first" "$header"; tail -n +2 "$file"; } > "$file.tmp"
    else
      { printf '%s\n\n' "$header"; cat "$file"; } > "$file.tmp"
    fi
    chmod --reference="$file" "$file.tmp" && mv "$file.tmp" "$file"
    echo "check-headers: added to $file"
  else
    echo "check-headers: $file: line $line is not \`$header\` (tools/check-headers.sh --fix adds it)" >&2
    missing=1
  fi
done < <(git ls-files '*.swift' '*.c' '*.h' '*.java' '*.sh' '*.py' .ci/run ':!Sources/EFGSProtocol/Efgs.pb.swift')
exit "$missing"
