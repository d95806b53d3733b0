import type { AddressInfo } from 'node:net';
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
