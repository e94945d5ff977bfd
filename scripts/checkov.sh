#!/usr/bin/env bash
# Security scan of infra/ with checkov (Bicep checks + secret detection), offline.
#
# checkov pins many dependencies, so it lives in its own virtualenv (default .venv-checkov at
# the repository root) and never touches the project's .venv.
#
#   scripts/checkov.sh                 install if needed, then scan (exit 1 on a failed check)
#   scripts/checkov.sh --install-only  only make sure the pinned checkov is installed
#   scripts/checkov.sh -o json         extra arguments go to checkov
#
# Environment: CHECKOV_VENV (virtualenv path), CHECKOV_VERSION (pin), PYTHON (interpreter).
# Skips are written next to the property they concern, inside the resource block:
#   // checkov:skip=CKV_AZURE_35: why this check does not apply here
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${CHECKOV_VENV:-$root/.venv-checkov}
version=${CHECKOV_VERSION:-3.3.30}
python=${PYTHON:-python3}

installed=""
if [[ -x "$venv/bin/checkov" ]]; then
  installed=$("$venv/bin/checkov" --version 2>/dev/null || true)
fi
if [[ "$installed" != "$version" ]]; then
  echo "installing checkov $version into $venv" >&2
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$version" >&2
fi

if [[ "${1:-}" == "--install-only" ]]; then
  exit 0
fi

cd "$root"
# --skip-download: no call to the Prisma Cloud API (no network in CI); results are the same.
exec "$venv/bin/checkov" --directory infra --framework bicep secrets --skip-download --compact "$@"
