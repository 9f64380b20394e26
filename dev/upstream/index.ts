export { createEchoUpstream, isUpstreamVariant, UPSTREAM_VARIANTS } from "./echo-upstream.js";
export type { EchoReply, EchoUpstream, EchoUpstreamOptions, ListeningUpstream, UpstreamVariant } from "./echo-upstream.js";
export { parseUpstreamArgs, DEFAULT_PORTS } from "./args.js";
export type { UpstreamSettings } from "./args.js";
