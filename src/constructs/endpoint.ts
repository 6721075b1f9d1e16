// The writer endpoint contract: where clients connect, how the writer is moved and how it is
// fenced, whatever implements it (HAProxy on Docker, a Route 53 failover record pair on AWS).

/** How an endpoint routes clients to the writer. */
export enum EndpointKind {
  /** HAProxy instances steered at run time through their admin socket (local Docker). */
  HAPROXY = 'haproxy',
  /** A Route 53 PRIMARY/SECONDARY failover record pair; a switchover moves the records (AWS). */
  ROUTE53_FAILOVER = 'route53-failover',
}

/** One running copy of an HAProxy writer endpoint. */
export interface EndpointInstance {
  /** Where a tool reaches this instance's client port directly. */
  readonly clientAddress: string;
  readonly clientPort: number;
  /** Container (or instance) running it; its runtime API is a unix socket inside. */
  readonly backendName: string;
}

/** How tools steer an HAProxy endpoint. */
export interface HaproxyEndpointDetails {
  /** HAProxy backend that holds the writers. */
  readonly backend: string;
  /** Where the endpoint's config lives inside each instance. */
  readonly configPath: string;
  /** Every instance; a virtual IP moves between them. */
  readonly instances: EndpointInstance[];
  /** The virtual IP, when there is one. */
  readonly virtualIp?: string;
  /** Container of the failover monitor (one writer at a time); a switchover takes its lock. */
  readonly monitorContainer?: string;
}

/** What tools and reviewers know of a Route 53 failover record pair. */
export interface Route53EndpointDetails {
  readonly zoneId: string;
  /** The record clients resolve, e.g. `writer.db.internal`. */
  readonly recordName: string;
  readonly ttlSeconds: number;
  /** How the health checks judge a host: `cloudwatch-metric` or `tcp`. */
  readonly healthCheck: string;
  /** Longest time from a lost primary to Route 53 answering with the secondary. */
  readonly detectionSeconds: number;
  /** detectionSeconds + ttlSeconds: the longest a client can still resolve a lost primary. */
  readonly worstCaseFailoverSeconds: number;
}

/** Where the writer endpoint listens and how tools steer it. */
export interface EndpointDescription {
  readonly kind: EndpointKind;
  /** Where clients connect: a published port, a virtual IP, or a DNS name. */
  readonly address: string;
  readonly port: number;
  /** Set for an HAProxy endpoint. */
  readonly haproxy?: HaproxyEndpointDetails;
  /** Set for a Route 53 failover endpoint. */
  readonly route53?: Route53EndpointDetails;
}

/** How `terraform apply` performs a switchover when the active master changes. */
export interface SwitchoverSettings {
  /**
   * Refuse when the target is further behind than this many seconds.
   * @default 5
   */
  readonly maxLagSeconds?: number;
  /**
   * Seconds the target may take to apply everything the old master committed.
   * @default 10
   */
  readonly catchUpTimeoutSeconds?: number;
  /**
   * Seconds to wait for healthy replication before refusing (covers a fresh deployment).
   * @default 120
   */
  readonly waitHealthySeconds?: number;
}

/** The switchover tool's arguments for these settings. */
export function switchoverArguments(settings: SwitchoverSettings = {}): string[] {
  return [
    '--max-lag', String(settings.maxLagSeconds ?? 5),
    '--catch-up-timeout', String(settings.catchUpTimeoutSeconds ?? 10),
    '--wait-healthy', String(settings.waitHealthySeconds ?? 120),
  ];
}
