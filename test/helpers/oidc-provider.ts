import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect provider (the `oidc-provider` package) on 127.0.0.1, for sign-in
 * tests. It uses the package's development interactions: a login form (any password is
 * accepted; the login is the account id, here the e-mail) and a consent form.
 */

export interface TestAccount {
  email: string;
  name?: string;
  /** (Default: true) */
  emailVerified?: boolean;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

export interface TestOidcProviderOptions {
  /** The relying party's callback URLs (e.g. `http://127.0.0.1:PORT/auth/callback`). */
  redirectUris: string[];
  accounts: TestAccount[];
  clientId?: string;
  clientSecret?: string;
}

export async function startOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const clientId = options.clientId ?? 'webpig-test';
  const clientSecret = options.clientSecret ?? 'webpig-test-secret-0123456789abcdef';
  const accounts = new Map(options.accounts.map((account) => [account.email, account]));

  // Listen first: the issuer URL needs the port.
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    pkce: { required: () => true },
    // Cookies signed with a fixed key: this provider lives only for one test run.
    cookies: { keys: ['webpig-test-oidc-cookie-key'] },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: account.email,
            email_verified: account.emailVerified ?? true,
            name: account.name ?? account.email,
          };
        },
      };
    },
  });
  // Plain http on 127.0.0.1: the provider must not insist on secure cookies.
  provider.proxy = false;
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    clientSecret,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
