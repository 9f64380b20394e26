#!/usr/bin/env bash
# Re-renders every generated manifest in istio-manifests/ from policy.yaml, policy-caller.yaml and policy-jwt.yaml.
# Run it after editing a policy; test/manifests fails when a committed file differs from this output.
# Usage: istio-manifests/render.sh [OUTPUT_DIR]   (default: istio-manifests itself)
# MESHGATE_CLI=path/to/meshgate.mjs uses that build instead of building build/cli/meshgate.mjs first.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-istio-manifests}"
if [[ -z "${MESHGATE_CLI:-}" ]]; then node scripts/build.mjs cli; MESHGATE_CLI=build/cli/meshgate.mjs; fi
meshgate() { node "$MESHGATE_CLI" "$@"; }
mkdir -p "$out/base" "$out/envoyfilter" "$out/jwt"
url="oci://registry.example.com/meshgate:0.1.0"

# Gateway (north-south): auth, canary tagging and limits where the VirtualService is evaluated.
meshgate render istio istio-manifests/policy.yaml --only wasmplugin --mode gateway \
  --namespace istio-system --selector istio=ingressgateway --url "$url" > "$out/base/wasmplugin-gateway.yaml"
# Caller side (east-west): the frontend's outbound calls to port 8080 are tagged for canary routing.
meshgate render istio istio-manifests/policy-caller.yaml --only wasmplugin --mode sidecar-outbound \
  --namespace shop --selector app=frontend --port 8080 --name meshgate-caller --url "$url" > "$out/base/wasmplugin-caller.yaml"

# jwt mode at the gateway: tokens verified in the proxy with the identity provider's key set.
meshgate render istio istio-manifests/policy-jwt.yaml --only wasmplugin --mode gateway \
  --namespace istio-system --selector istio=ingressgateway --url "$url" > "$out/jwt/wasmplugin-gateway.yaml"

# The EnvoyFilter variant of the same two.
meshgate render istio istio-manifests/policy.yaml --only envoyfilter --mode gateway \
  --namespace istio-system --selector istio=ingressgateway > "$out/envoyfilter/envoyfilter-gateway.yaml"
meshgate render istio istio-manifests/policy-caller.yaml --only envoyfilter --mode sidecar-outbound \
  --namespace shop --selector app=frontend --port 8080 --name meshgate-caller > "$out/envoyfilter/envoyfilter-sidecar-outbound.yaml"
