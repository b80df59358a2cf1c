#!/usr/bin/env bash
# Set up everything errorhub needs on a fresh Debian 12 machine; safe to run again.
# apt packages, uv, the three Python environments (main, stream, superset), Flink's Kafka
# connector jars, and generated local secrets in .env.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
APT_PACKAGES=(chromium fonts-liberation)

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

need_python() {
  command -v python3 >/dev/null || die "python3 is missing: install Python 3.11 (Debian: apt-get install python3)"
  python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "Python 3.11 is required, found $(python3 --version 2>&1)"
}

apt_install() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || die "apt packages missing (${missing[*]}): run as root or install them"
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_uv() {
  # Prefer a uv of the pinned version on PATH, else one in .tools/ (a private venv: Debian's
  # system Python refuses pip installs, PEP 668).
  export PATH="$PWD/.tools/bin:$PATH"
  if command -v uv >/dev/null && [ "$(uv --version | cut -d' ' -f2)" = "$UV_VERSION" ]; then return; fi
  say "installing uv $UV_VERSION from PyPI into .tools/"
  python3 -m venv .tools || die "python3 -m venv failed: install Debian's python3-venv"
  .tools/bin/pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
    || die "could not install uv $UV_VERSION from PyPI"
  hash -r
}

sync_envs() {
  say "main environment (.venv)"
  uv sync --frozen --quiet
  for env in envs/*/; do
    [ -f "$env/pyproject.toml" ] || continue
    say "environment $env.venv"
    uv sync --frozen --quiet --project "$env"
  done
}

flink_jars() {
  [ -x envs/stream/.venv/bin/python ] || return 0
  say "Flink Kafka connector jars"
  .venv/bin/python -c 'from pipelines.flink.jars import ensure_jars; from errorhub.settings import get_settings; ensure_jars(get_settings().home)'
}

need_python
apt_install
ensure_uv
sync_envs
flink_jars
.venv/bin/errorhub init
say "ready"
