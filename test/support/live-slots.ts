// Every live deployment of the tests and benchmarks owns a slot: a container name prefix, a
// 10.213.x.0/24 network and a block of 100 host ports. Slots never overlap, so live test files
// run side by side (jest's workers) and a benchmark can run beside the suite.

export interface LiveSlot {
  /** Names of its containers, volumes and networks start with it (cleanup removes by prefix). */
  readonly prefix: string;
  /** Third octet of its 10.213.x.0/24 network. */
  readonly subnetOctet: number;
  /** First of its 100 host ports, all published on 127.0.0.1. */
  readonly port: number;
}

/** How many host ports a slot owns from its first. */
export const SLOT_PORTS = 100;

/** What the README's example uses (examples/local-docker): no slot takes it. */
export const EXAMPLE_RESERVED: LiveSlot = { prefix: 'shop', subnetOctet: 0, port: 23300 };

/** The AWS test's instances run on the AWS example's own subnet (10.220.1.0/24), under this prefix. */
export const AWS_TEST_PREFIX = 'mha-aws';

export const LIVE_SLOTS = {
  masterMaster: { prefix: 'mmlive', subnetOctet: 10, port: 24300 },
  writerEndpoint: { prefix: 'eplive', subnetOctet: 30, port: 24400 },
  semiSync: { prefix: 'sslive', subnetOctet: 40, port: 24500 },
  virtualIp: { prefix: 'viplive', subnetOctet: 60, port: 24800 },
  security: { prefix: 'seclive', subnetOctet: 70, port: 24900 },
  installedPackage: { prefix: 'pkglive', subnetOctet: 80, port: 25000 },
  failover: { prefix: 'folive', subnetOctet: 90, port: 25100 },
  topologyChange: { prefix: 'tclive', subnetOctet: 93, port: 25200 },
  writersGrowth: { prefix: 'wglive', subnetOctet: 94, port: 25400 },
  galeraOneWriter: { prefix: 'gllive', subnetOctet: 95, port: 25600 },
  threeMastersAsync: { prefix: 'tmlive', subnetOctet: 97, port: 25800 },
  threeMastersSemiSync: { prefix: 'tmsslive', subnetOctet: 98, port: 25900 },
  rollingUpgrade: { prefix: 'uplive', subnetOctet: 99, port: 26400 },
  benchDeploy: { prefix: 'benchdeploy', subnetOctet: 20, port: 25300 },
  benchFailoverAsync: { prefix: 'benchha', subnetOctet: 50, port: 24600 },
  benchFailoverSemiSync: { prefix: 'benchss', subnetOctet: 51, port: 24700 },
  benchSeeding: { prefix: 'benchseed', subnetOctet: 52, port: 26000 },
  benchWriters: { prefix: 'benchwr', subnetOctet: 53, port: 26100 },
  benchGalera: { prefix: 'benchgl', subnetOctet: 54, port: 26200 },
  benchSingleServer: { prefix: 'benchsg', subnetOctet: 55, port: 26300 },
  benchEndpointChecks: { prefix: 'benchchk', subnetOctet: 56, port: 26600 },
} as const satisfies Record<string, LiveSlot>;

export type LiveSlotName = keyof typeof LIVE_SLOTS;

/** The slot's network, e.g. 10.213.90.0/24. */
export function slotSubnet(slot: LiveSlot): string {
  return `10.213.${slot.subnetOctet}.0/24`;
}

/** An address on the slot's network. */
export function slotAddress(slot: LiveSlot, last: number): string {
  return `10.213.${slot.subnetOctet}.${last}`;
}
