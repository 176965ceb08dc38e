#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Regenerates Sources/EFGSProtocol/Efgs.pb.swift from proto/Efgs.proto (run once; the output is committed).
# Needs: apt-get install protobuf-compiler
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product protoc-gen-swift
protoc --plugin=protoc-gen-swift="$(swift build --show-bin-path)/protoc-gen-swift" \
  --swift_out=Sources/EFGSProtocol --swift_opt=Visibility=Public -I proto proto/Efgs.proto
