import { createHmac, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { z } from 'zod';
import { HttpError } from '../http-errors.js';
import type { ResolvedOidcConfig } from './config.js';

/**
 * OpenID Connect sign-in (authorization code flow with PKCE, state and nonce) through
 * openid-client. Between the redirect to the provider and the callback, the flow's secrets
 * (PKCE verifier, state, nonce) travel in a short-lived HttpOnly cookie signed with a key
 * derived from the client secret, so any server of a cluster can finish a sign-in.
 */

export const LOGIN_COOKIE = 'webpig_oidc';
/** A sign-in left unfinished longer than this must start again. */
export const LOGIN_TTL_MS = 10 * 60 * 1000;

const transactionSchema = z.object({
  verifier: z.string(),
  state: z.string(),
  nonce: z.string(),
  returnTo: z.string(),
  expiresAt: z.number(),
});
export type LoginTransaction = z.infer<typeof transactionSchema>;

export interface OidcIdentity {
  email: string;
  emailVerified: boolean;
  name: string | null;
}

/** Loopback issuers (tests, local providers) are plain http; anything else must be https. */
function isLoopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export class OidcSignIn {
  private discovered: Promise<oidc.Configuration> | null = null;
  private readonly cookieKey: Buffer;

  constructor(
    private readonly config: ResolvedOidcConfig,
    readonly redirectUrl: string,
  ) {
    this.cookieKey = createHmac('sha256', 'webpig-oidc-login-cookie').update(config.clientSecret).digest();
  }

  /** Discovery happens on first use and is retried after a failure (the provider may be down). */
  private configuration(): Promise<oidc.Configuration> {
    if (!this.discovered) {
      const issuer = new URL(this.config.issuer);
      this.discovered = oidc
        .discovery(issuer, this.config.clientId, this.config.clientSecret, undefined, {
          execute: isLoopback(issuer) ? [oidc.allowInsecureRequests] : [],
        })
        .catch((err: unknown) => {
          this.discovered = null;
          throw new HttpError(502, 'OIDC_UNAVAILABLE', 'the sign-in provider could not be reached', { cause: err });
        });
    }
    return this.discovered;
  }

  async start(returnTo: string, now: Date): Promise<{ url: URL; cookie: string }> {
    const configuration = await this.configuration();
    const transaction: LoginTransaction = {
      verifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      returnTo,
      expiresAt: now.getTime() + LOGIN_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUrl,
      scope: this.config.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return { url, cookie: this.seal(transaction) };
  }

  /** Verifies the callback against the transaction and returns who signed in. */
  async finish(callbackQuery: string, sealed: string | undefined, now: Date): Promise<{ identity: OidcIdentity; returnTo: string }> {
    const transaction = sealed ? this.unseal(sealed) : null;
    if (!transaction || transaction.expiresAt < now.getTime()) {
      throw new HttpError(400, 'SIGN_IN_EXPIRED', 'this sign-in was not started here or took too long; sign in again');
    }
    const configuration = await this.configuration();
    const currentUrl = new URL(this.redirectUrl);
    currentUrl.search = callbackQuery;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new HttpError(401, 'SIGN_IN_FAILED', `sign-in failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    const claims = tokens.claims();
    if (!claims) throw new HttpError(401, 'SIGN_IN_FAILED', 'the provider returned no ID token');
    let source: Record<string, unknown> = claims;
    // Some providers (oidc-provider among them) put e-mail only in the userinfo response.
    if (typeof claims.email !== 'string') {
      source = await oidc.fetchUserInfo(configuration, tokens.access_token, claims.sub);
    }
    const email = typeof source.email === 'string' ? source.email.toLowerCase() : '';
    if (!email) throw new HttpError(403, 'SIGN_IN_NO_EMAIL', 'the provider did not share an e-mail address');
    return {
      identity: {
        email,
        // Some providers send the claim as the string "true".
        emailVerified: source.email_verified === true || source.email_verified === 'true',
        name: typeof source.name === 'string' ? source.name : null,
      },
      returnTo: transaction.returnTo,
    };
  }

  private seal(transaction: LoginTransaction): string {
    const body = Buffer.from(JSON.stringify(transaction)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  private unseal(sealed: string): LoginTransaction | null {
    const [body, mac] = sealed.split('.');
    if (!body || !mac) return null;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const parsed = transactionSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.cookieKey).update(body).digest('base64url');
  }
}
