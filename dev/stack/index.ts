// The local stack as a library: what `npm start`, the end-to-end test and the stack benchmark share.
export { POLICY_VARIABLE, startStack, type Stack, type StackOptions, type StackProcess, type StackUrls } from "./stack.js";
export { DEFAULT_PORTS, PORT_VARIABLES, RANDOM_PORTS, StackConfigError, portsFromEnv, type StackPorts } from "./ports.js";
export { stackPaths, requireBuilt, type StackPaths } from "./paths.js";
export { startEnvoyGateway, startKongGateway, type EnvoyGatewaySpec, type KongGateway, type KongGatewaySpec } from "./gateways.js";
export { StackChild, describeExit, type ChildExit, type ChildSpec } from "./child.js";
export { formatAccessLine, type AccessLine, type PlaneName } from "./access-log.js";
export { loadPolicyFile, planeSetups, type PolicyDocument } from "./policy.js";
export { stackBanner } from "./banner.js";
