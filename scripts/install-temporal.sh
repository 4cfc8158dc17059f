#!/usr/bin/env bash
# Builds the Temporal CLI (dev server + Web UI) from its Go module into the project-local bin folder.
# Pinned to v1.5.1: later tags carry a `replace` directive in go.mod and cannot be `go install`ed.
# Skipped when the binary is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.backflow/bin"
if [[ -x "$bin/temporal" ]]; then
  echo "temporal CLI present: $bin/temporal" >&2
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed: install Go >= 1.25 (https://go.dev/dl) or put a 'temporal' CLI on PATH, or set TEMPORAL_ADDRESS" >&2
  exit 1
fi
mkdir -p "$bin"
echo "building the Temporal CLI v1.5.1 with go install (one time, a few minutes) ..." >&2
GOBIN="$bin" CGO_ENABLED=0 go install github.com/temporalio/cli/cmd/temporal@v1.5.1
"$bin/temporal" --version >&2
