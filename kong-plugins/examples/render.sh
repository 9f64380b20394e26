#!/usr/bin/env bash
# Re-renders the Kong examples from the same policy as the Istio manifests (istio-manifests/policy.yaml).
# test/manifests fails when a committed file differs from this output. kongclusterplugin.yaml is written by
# hand around the same config (test/manifests checks that too).
# Usage: kong-plugins/examples/render.sh [OUTPUT_DIR]   (default: kong-plugins/examples itself)
# MESHGATE_CLI=path/to/meshgate.mjs uses that build instead of building build/cli/meshgate.mjs first.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-kong-plugins/examples}"
if [[ -z "${MESHGATE_CLI:-}" ]]; then node scripts/build.mjs cli; MESHGATE_CLI=build/cli/meshgate.mjs; fi
meshgate() { node "$MESHGATE_CLI" "$@"; }
mkdir -p "$out"
common=(istio-manifests/policy.yaml --name api --service-url http://api-stable.shop.svc.cluster.local:8080
  --canary-target api-canary.shop.svc.cluster.local:8080)
meshgate render kong "${common[@]}" --only deck > "$out/kong.yml"
meshgate render kong "${common[@]}" --only kic > "$out/kongplugin.yaml"
