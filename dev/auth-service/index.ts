export { createAuthService } from "./service.js";
export type {
  ActiveToken,
  AuthFaults,
  AuthService,
  AuthServiceOptions,
  AuthStats,
  ListeningServer,
  TokenRequest,
  TokenResponse,
} from "./types.js";
