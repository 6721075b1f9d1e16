// How a switchover or a failover steers a writer endpoint, one implementation per endpoint kind:
// HAProxy is steered at run time through its runtime API; a Route 53 record pair is moved by the
// same `terraform apply` that runs the switchover, after the database steps.
import type { ClusterDescription } from '../constructs/description';
import { EndpointKind, EndpointInstance } from '../constructs/endpoint';
import { Login } from '../operator/sql-client';
import { HaproxyRoute } from './haproxy-route';
import { RuntimeConnector } from './haproxy-runtime';
import { RecordRoute } from './record-route';

/** What a switchover or a failover asks of the endpoint; the database steps (fence, catch-up, verify) are their own. */
export interface WriterRoute {
  /** How the move reaches clients, for the tool's report. */
  readonly moveNote: string;
  /** Container of the failover monitor whose lock a switchover holds, if there is one. */
  readonly monitorContainer?: string;
  /** Holds new connections while no master takes writes (a no-op where the endpoint cannot). */
  hold(): Promise<void>;
  /** Lets held connections through; must not fail the move. */
  release(progress: (line: string) => void): Promise<void>;
  /** Closes the endpoint's client sessions to `host`. */
  closeSessions(host: string): Promise<void>;
  /** Lets the endpoint route to `target` again after it fenced it on its own. */
  admit(target: string, progress: (line: string) => void): Promise<void>;
  /** Sends new connections to `target`; `from`, fenced or lost, is taken out at once. */
  routeTo(target: string, from?: string): Promise<void>;
  /** The master the endpoint sends new connections to, or undefined when only the database can tell. */
  serving(monitor: Login): Promise<string | undefined>;
  /** Makes the move outlast an endpoint restart (`config` names the target as active). */
  persist(config?: string): Promise<void>;
}

/**
 * The route of a cluster's endpoint; `connectorFor` reaches an HAProxy instance's runtime API
 * (default: through the host access, from a tool).
 */
export function writerRouteOf(description: ClusterDescription, connectorFor?: (instance: EndpointInstance) => RuntimeConnector): WriterRoute {
  const endpoint = description.endpoint;
  if (!endpoint) throw new Error(`cluster ${description.cluster} has no writer endpoint to switch`);
  if (endpoint.kind === EndpointKind.HAPROXY && endpoint.haproxy) return new HaproxyRoute(description, endpoint.haproxy, connectorFor);
  if (endpoint.kind === EndpointKind.ROUTE53_FAILOVER && endpoint.route53) return new RecordRoute(endpoint.route53.recordName);
  throw new Error(`cluster ${description.cluster} has a writer endpoint of kind '${endpoint.kind}', which this tool cannot steer`);
}
