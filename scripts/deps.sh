#!/usr/bin/env bash
# Installs what vigil's build, run and tests need when it is missing:
# Debian packages (when root) and Go modules through the module proxy.
set -euo pipefail

need_pkgs=()
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
# The agent's tests trace curl against Python's http.server.
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3)
# Browser journeys run in Debian's Chromium: its headless shell (the same
# build without the desktop browser: half the memory and time), and the full
# chromium, which k6's baseline in make bench drives.
[[ -x /usr/bin/chromium-headless-shell ]] || need_pkgs+=(chromium-headless-shell)
[[ -x /usr/bin/chromium ]] || command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
# The protocol parsers' tests record real servers' traffic: Redis,
# PostgreSQL, MariaDB, and dig for DNS.
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server redis-tools)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_pkgs+=(postgresql)
command -v mariadbd >/dev/null 2>&1 || need_pkgs+=(mariadb-server mariadb-client)
command -v dig >/dev/null 2>&1 || need_pkgs+=(dnsutils)
# make bench drives the agent benchmark with wrk.
if [[ ${VIGIL_DEPS_BENCH:-} == 1 ]]; then
	command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
fi

if ((${#need_pkgs[@]})); then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
		echo "deps: installing ${need_pkgs[*]}" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
	else
		echo "deps: missing ${need_pkgs[*]}; install them (apt-get install ${need_pkgs[*]})" >&2
		exit 1
	fi
fi

if ! command -v go >/dev/null 2>&1; then
	if [[ -x /usr/local/go/bin/go ]]; then
		echo "deps: go is in /usr/local/go/bin but not on PATH; add it: export PATH=\$PATH:/usr/local/go/bin" >&2
	else
		echo "deps: Go $(sed -n 's/^go //p' go.mod) or newer is needed (https://go.dev/dl/)" >&2
	fi
	exit 1
fi

go mod download
