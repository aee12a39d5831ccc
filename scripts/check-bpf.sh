#!/usr/bin/env bash
# Regenerates the committed bpf2go output when clang-14 and libbpf's headers
# are present, and fails when it differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-14 >/dev/null 2>&1 || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
	echo "check-bpf: clang-14 or libbpf headers (libbpf-dev) missing: the committed BPF objects are used as they are"
	exit 0
fi
go generate ./bpf
if ! git diff --quiet -- bpf/; then
	echo "check-bpf: the generated bpf/capture_*_bpfel.{go,o} differ from the sources: run 'go generate ./bpf' and commit" >&2
	git diff --stat -- bpf/ >&2
	exit 1
fi
echo "check-bpf: generated BPF files match their sources"
