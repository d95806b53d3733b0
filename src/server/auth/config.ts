// PLACEHOLDER owned by the API/auth work: sign-in, roles and tokens configuration. Replace wholesale.
export interface AuthConfig {
  [option: string]: unknown;
}
