#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# The metrics contract: every metric the code records (a quoted "efgs_…" name under Sources/) and every metric the
# alert rules use is documented in docs/metrics.md, every documented one exists in the code, and the alert rules pass
# `promtool check rules` and their unit tests (`promtool test rules`, Debian's prometheus package).
set -euo pipefail
cd "$(dirname "$0")/.."
doc=docs/metrics.md
rules=deploy/prometheus/efgs-alerts.yml
status=0
code_metrics=$(grep -rhoE '"efgs_[a-z_]+"' Sources | tr -d '"' | sort -u)
doc_metrics=$(grep -oE '`efgs_[a-z_]+`' "$doc" | tr -d '`' | sort -u)
rule_metrics=$(grep -v '^ *#' "$rules" | grep -oE 'efgs_[a-z_]+' | sort -u)
for m in $code_metrics; do
  grep -qx "$m" <<<"$doc_metrics" || { echo "check-metrics: $m is recorded by the code but not in $doc" >&2; status=1; }
done
for m in $doc_metrics; do
  grep -qx "$m" <<<"$code_metrics" || { echo "check-metrics: $doc lists $m, which the code never records" >&2; status=1; }
done
for m in $rule_metrics; do
  grep -qx "$m" <<<"$doc_metrics" || { echo "check-metrics: $rules uses $m, which $doc does not list" >&2; status=1; }
done
# the Grafana dashboard: valid JSON, every panel with a query, every query valid PromQL (checked by promtool as a
# recording rule) naming only documented metrics (a histogram's _bucket/_sum/_count series count as the histogram)
dashboard=deploy/grafana/efgs-dashboard.json
dashboard_rules=$(mktemp --suffix=.yml)
trap 'rm -f "$dashboard_rules"' EXIT
python3 - "$dashboard" "$dashboard_rules" <<'PY' || status=1
import json, sys
dashboard = json.load(open(sys.argv[1]))
lines = ["groups:", "  - name: dashboard", "    rules:"]
for panel in dashboard["panels"]:
    if not panel.get("targets"):
        sys.exit(f"check-metrics: dashboard panel {panel['title']!r} has no query")
    for target in panel["targets"]:
        lines.append(f"      - record: efgs_dashboard:panel{panel['id']}_{target['refId']}")
        lines.append("        expr: " + json.dumps(target["expr"]))
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
promtool check rules "$dashboard_rules" >/dev/null || { echo "check-metrics: $dashboard has invalid PromQL" >&2; status=1; }
dashboard_metrics=$(grep -oE '"expr": "[^"]*' "$dashboard" | grep -oE 'efgs_[a-z_]+' | sed -E 's/_(bucket|sum|count)$//' | sort -u)
for m in $dashboard_metrics; do
  grep -qx "$m" <<<"$doc_metrics" || { echo "check-metrics: $dashboard uses $m, which $doc does not list" >&2; status=1; }
done
promtool check rules "$rules" >/dev/null || status=1
promtool check config deploy/prometheus/prometheus.example.yml >/dev/null || status=1
(cd "$(dirname "$rules")" && promtool test rules efgs-alerts.test.yml >/dev/null) || status=1
[ "$status" = 0 ] && echo "check-metrics: $(wc -w <<<"$code_metrics") metrics documented, $(wc -w <<<"$rule_metrics") used by $(grep -c '^ *- alert:' "$rules") alerts, $(wc -w <<<"$dashboard_metrics") by the dashboard's $(grep -c '"refId"' "$dashboard") queries; promtool: rules and queries checked, rules unit-tested"
exit "$status"
