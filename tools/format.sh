#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Formats every Swift file of the repository (the generated protobuf code aside) with swift-format and the
# project's .swift-format (line length 120). .ci/run fails when this would change a file.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.swift' ':!Sources/EFGSProtocol/Efgs.pb.swift' | xargs swift-format format --in-place --configuration .swift-format
