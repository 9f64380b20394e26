export const USAGE = `meshgate — one policy, two planes (Kong plugin and Envoy/Istio wasm filter)

Usage:
  meshgate validate <policy>             check a policy (JSON or YAML); prints "ok" or one error per line
  meshgate normalize <policy>            print the effective policy, every default filled in
      [--format json|yaml]
  meshgate render kong <policy>          decK kong.yml + KongPlugin (Kong Ingress Controller)
      [--service-url URL]                  the Service's upstream (default http://stable.default.svc:8080)
      [--name NAME]                        Service/Route name; the KongPlugin is NAME-meshgate (default app)
      [--canary-target HOST:PORT]          target of the canary Upstream (default canary.default.svc:8080)
      [--only deck|kic] [--format yaml|json]
  meshgate render istio <policy>         WasmPlugin + the equivalent EnvoyFilter
      [--mode gateway|sidecar-outbound|sidecar-inbound]   where the filter runs (default gateway)
      [--namespace NS] [--selector key=value]...          defaults: gateway istio-system, istio=ingressgateway
      [--port N]                                          only traffic to/on this port
      [--url oci://…|file:///….wasm] [--sha256 HEX] [--name NAME]
      [--only wasmplugin|envoyfilter] [--format yaml|json]

Every command takes --strict: warnings (a policy that enforces nothing, loopback or placeholder addresses, a flag
the policy makes meaningless, …) become errors, exit status 1, nothing printed on standard output.

<policy> is a file (.json, .yaml, .yml) or - for standard input.
Exit status: 0 success, 1 invalid policy or a policy the plane cannot run, 2 usage error or unreadable file,
70 internal error (a bug: please report it).
Errors go to standard error; rendered documents to standard output.
`;
