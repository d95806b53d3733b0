import type { AddressInfo } from 'node:net';
import { WebpigError } from '../core/errors.js';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** Where a server listens, as an operator reads it in `webpig start`/`serve`/`demo`. */
export interface ListenAddress {
  /** The bound address as a URL: `http://0.0.0.0:3000`, `http://[::]:3000`, `http://127.0.0.1:3000`. */
  url: string;
  /** Bound to 0.0.0.0 or :: — every interface of the host, not one address. */
  allInterfaces: boolean;
  /** With `allInterfaces`: a URL for each address of this host's interfaces the socket accepts. */
  hostUrls: string[];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

function urlOf(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * The address a server is bound to (`server.address()`), not the one URL fastify picks from it:
 * for 0.0.0.0 that is 127.0.0.1, which hides that the whole network can reach the server.
 * `::` also takes IPv4 (Node listens dual-stack); IPv6 link-local addresses are left out, since
 * a URL cannot use them without the interface's name.
 */
export function describeListenAddress(
  bound: AddressInfo,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): ListenAddress {
  const url = urlOf(bound.address, bound.port);
  if (!WILDCARDS.has(bound.address)) return { url, allInterfaces: false, hostUrls: [] };
  const families = bound.address === '::' ? ['IPv4', 'IPv6'] : ['IPv4'];
  const hostUrls = Object.values(interfaces)
    .flatMap((infos) => infos ?? [])
    .filter((info) => families.includes(info.family) && !/^fe80:/i.test(info.address))
    .map((info) => urlOf(info.address, bound.port));
  return { url, allInterfaces: true, hostUrls };
}

/** For 0.0.0.0 and ::, what "all interfaces" means here: `all interfaces of this host: http://…, http://…`. */
export function allInterfacesNote(address: ListenAddress): string {
  return `all interfaces of this host${address.hostUrls.length > 0 ? `: ${address.hostUrls.join(', ')}` : ''}`;
}

/** The one line `webpig start`/`serve` print once the server listens. */
export function listeningLine(address: ListenAddress): string {
  if (!address.allInterfaces) return `webpig listening on ${address.url} (webhooks at ${address.url}/webhooks/<source>)`;
  return `webpig listening on ${address.url} (${allInterfacesNote(address)}; webhooks at <address>/webhooks/<source>)`;
}

/**
 * Why the server could not listen, in words that say what to change: Node's own ("listen
 * EADDRINUSE: address already in use 127.0.0.1:3000") named neither the cause nor the option.
 * `portOption` and `hostOption` are how the command sets them (`--port N`, or also `server.port`).
 */
export function listenFailure(err: unknown, where: { host: string; port: number; portOption: string; hostOption: string }): WebpigError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const at = `${where.host.includes(':') ? `[${where.host}]` : where.host}:${where.port}`;
  const why =
    code === 'EADDRINUSE'
      ? `the port is already in use (another webpig, or another program, listens there): stop it, or choose another port with ${where.portOption}`
      : code === 'EACCES'
        ? `the port needs privileges this user does not have (ports below 1024 do): choose one from 1024 up with ${where.portOption}`
        : code === 'EADDRNOTAVAIL'
          ? `${where.host} is not an address of this host: ${where.hostOption} takes one of its addresses, 127.0.0.1 (this host only) or 0.0.0.0 (every interface)`
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `there is no host named ${where.host}: ${where.hostOption} takes one of this host's addresses, 127.0.0.1 (this host only) or 0.0.0.0 (every interface)`
            : `${err instanceof Error ? err.message : String(err)}`;
  return new WebpigError('SERVER_LISTEN_FAILED', `cannot listen on ${at}: ${why}`, { cause: err });
}
