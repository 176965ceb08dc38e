#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Coverage-guided fuzzing of every parser reachable from outside (Fuzz/, issue 12): builds the libFuzzer targets
# with the address sanitizer and runs each for N seconds, seeded from Fuzz/Corpus/<target>.
#
#   tools/fuzz.sh [--seconds N] [--no-build] [--build-only] [--timeout S] [--configuration release|debug] [target…]
#
# Targets are the executable names in Fuzz/Package.swift (FuzzCMSSignature, …); the `Fuzz` prefix may be left
# out. No target: all of them. Per target it prints executions, coverage (libFuzzer's `cov:` edges and `ft:`
# features at the end of the run) and crashes, and appends the same as one line to Fuzz/runs.log (date, target,
# seconds, execs, cov, ft, crashes, configuration), so the executions of many runs can be summed:
#   awk '$1 !~ /^#/ {e[$2] += $4} END {for (t in e) print t, e[t]}' Fuzz/runs.log
# New inputs libFuzzer finds stay in Fuzz/.build/corpus/<target> (not committed; later runs start from them too).
# A crashing input is written to Fuzz/Crashes/<target>/ and the script exits 1 after running every target: turn
# it into a regression test in Tests/ and fix the parser. `--configuration debug` builds unoptimised targets: a
# quicker build (CI's short smoke run), several times fewer executions per second (long runs use release).
# Several runs of the same target may go at once, one per core (each writes its own log,
# Fuzz/.build/<target>-<configuration>-<pid>.log, and its own runs.log line; they share the corpus folder, and a
# crash input written by one is counted by each). Beside a build, lower a background run's share of the CPU through
# its session's scheduling group, not with `nice` alone (the kernel ranks nice values only inside a session when it
# groups sessions, /proc/sys/kernel/sched_autogroup_enabled): `setsid tools/fuzz.sh … &`, then
# `echo 19 > /proc/<pid of fuzz.sh>/autogroup`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
fuzz="$root/Fuzz"

seconds=30
timeout=20
build=1
run=1
configuration=release
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --configuration) configuration="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --build-only) run=0; shift ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("Fuzz${1#Fuzz}"); shift ;;
  esac
done
all=$(sed -n 's/^ *("\(Fuzz[A-Za-z0-9]*\)", \[.*/\1/p' "$fuzz/Package.swift")
if [ ${#targets[@]} -eq 0 ]; then read -r -a targets <<< "$(echo $all)"; fi
for t in "${targets[@]}"; do
  if ! grep -qx "$t" <<< "$all"; then echo "fuzz.sh: no target $t (known: $(echo $all))" >&2; exit 2; fi
done

# Swift flags of every module in the graph (ours and the dependencies'): libFuzzer's coverage instrumentation and
# entry, the address sanitizer, and no top-level code (SwiftPM links `main` to each target's `<module>_main`).
case "$configuration" in release | debug) ;; *) echo "fuzz.sh: --configuration release or debug" >&2; exit 2 ;; esac
flags=(-c "$configuration" --package-path "$fuzz" --build-path "$fuzz/.build"
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
if [ "$build" = 1 ]; then
  start=$(date +%s)
  swift build "${flags[@]}"
  echo "fuzz.sh: sanitizer build took $(($(date +%s) - start)) s"
fi
[ "$run" = 1 ] || exit 0
bin=$(swift build "${flags[@]}" --show-bin-path)

# A crash is reported by libFuzzer and the sanitizer, not by Swift's backtracer (which ASan trips over). Leaks of
# the toolchain's Foundation are not ours (Fuzz/lsan.supp says which).
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
crashed=0
summary=()
[ -s "$fuzz/runs.log" ] || echo "# date target seconds execs cov ft crashes configuration" > "$fuzz/runs.log"
for t in "${targets[@]}"; do
  seeds="$fuzz/Corpus/$t"
  work="$fuzz/.build/corpus/$t"
  artifacts="$fuzz/Crashes/$t"
  mkdir -p "$work" "$artifacts" "$seeds"
  options=(-max_total_time="$seconds" -print_final_stats=1 -timeout="$timeout" -rss_limit_mb=2048
    -artifact_prefix="$artifacts/")
  [ -f "$fuzz/Dictionaries/$t.dict" ] && options+=(-dict="$fuzz/Dictionaries/$t.dict")
  # Loading a configuration leaves caches of the runtime and Foundation behind, so libFuzzer suspected a leak on
  # almost every input and ran LeakSanitizer each time (21 inputs/s against 150 without). The file is the
  # operator's, read once at start; memory errors are still caught by the address sanitizer.
  [ "$t" = FuzzConfigYAML ] && options+=(-detect_leaks=0)
  log="$fuzz/.build/$t-$configuration-$$.log"
  before=$(ls "$artifacts" | wc -l)
  echo "fuzz.sh: $t for $seconds s"
  status=0
  # New inputs go into the first folder; the seeds are only read.
  "$bin/$t" "${options[@]}" "$work" "$seeds" > "$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  crashes=$(($(ls "$artifacts" | wc -l) - before))
  if [ "$status" != 0 ] && [ "$crashes" = 0 ]; then crashes=1; fi
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $t $seconds ${execs:-0} ${cov:-0} ${ft:-0} $crashes $configuration"
  echo "$line" >> "$fuzz/runs.log"
  summary+=("$(printf '%-22s execs %10s  cov %6s  ft %6s  crashes %s' "$t" "${execs:-0}" "${cov:-0}" "${ft:-0}" \
    "$crashes")")
  if [ "$crashes" != 0 ]; then
    crashed=1
    echo "fuzz.sh: $t crashed (exit $status); log $log, inputs in $artifacts:" >&2
    grep -E 'ERROR: |Fatal error|fuzz invariant|SUMMARY' "$log" | head -n 5 >&2 || true
    ls -t "$artifacts" | head -n 3 >&2
  fi
done
printf '%s\n' "${summary[@]}"
exit "$crashed"
