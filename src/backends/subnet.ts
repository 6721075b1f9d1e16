// IPv4 subnet arithmetic for the backends' networks (pure).

export interface Ipv4Subnet {
  readonly network: string;
  /** Number of addresses, network and broadcast included. */
  readonly size: number;
  readonly prefixLength: number;
  readonly netmask: string;
  readonly gateway: string;
}

/** True for a dotted-quad IPv4 address. */
export function isIpv4(address: string): boolean {
  return toNumber(address) !== undefined;
}

/** True for an address in 127.0.0.0/8. */
export function isLoopback(address: string): boolean {
  return isIpv4(address) && address.startsWith('127.');
}

function toNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses `a.b.c.d/len`; undefined when it is not a usable IPv4 network with room for hosts. */
export function parseSubnet(cidr: string): Ipv4Subnet | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const address = toNumber(match[1]);
  const prefixLength = Number(match[2]);
  if (address === undefined || prefixLength < 8 || prefixLength > 29) return undefined;
  const size = 2 ** (32 - prefixLength);
  const network = address - (address % size);
  if (network !== address) return undefined;
  return {
    network: toIp(network),
    size,
    prefixLength,
    netmask: toIp(2 ** 32 - size),
    gateway: toIp(network + 1),
  };
}

/** MariaDB account host for everything in the subnet, e.g. `10.213.0.0/255.255.255.0`. */
export function accountHostFor(subnet: Ipv4Subnet): string {
  return `${subnet.network}/${subnet.netmask}`;
}

/** The address `offset` places after the network address (offset 1 is the gateway). */
export function addressAt(subnet: Ipv4Subnet, offset: number): string {
  if (offset < 1 || offset >= subnet.size - 1) throw new Error(`offset ${offset} is outside ${subnet.network}/${subnet.prefixLength}`);
  return toIp(toNumber(subnet.network)! + offset);
}

/** True when `ip` is a usable host address of the subnet (not its network or broadcast address). */
export function subnetContains(subnet: Ipv4Subnet, ip: string): boolean {
  const n = toNumber(ip);
  const start = toNumber(subnet.network)!;
  return n !== undefined && n > start && n < start + subnet.size - 1;
}

/** True when two subnets share any address. */
export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  const [sa, sb] = [toNumber(a.network)!, toNumber(b.network)!];
  return sa < sb + b.size && sb < sa + a.size;
}

/** Parses any IPv4 network `a.b.c.d/len` (len 0..32, host bits zero); undefined otherwise. */
export function parseCidr(cidr: string): Ipv4Subnet | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const address = match ? toNumber(match[1]) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 32)) return undefined;
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) return undefined;
  return { network: toIp(address), size, prefixLength, netmask: toIp(2 ** 32 - size), gateway: toIp(address + 1) };
}

/** True for an RFC 1918 address (10/8, 172.16/12, 192.168/16), which nothing on the internet reaches. */
export function isPrivateAddress(ip: string): boolean {
  const n = toNumber(ip);
  if (n === undefined) return false;
  return [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]].some(([net, len]) => Math.floor(n / 2 ** (32 - (len as number))) === Math.floor(toNumber(net as string)! / 2 ** (32 - (len as number))));
}
