// What the failover monitor sees on one tick: each host's answer (or why it gave none), its
// positions and replication connections, and the shared state other actors leave (pure types).

/** How a host answered the monitor's probe. */
export enum Reach {
  /** It answered the probe. */
  ANSWERS = 'answers',
  /**
   * Its server process is gone: the connection the monitor held was closed by the server, or its
   * port refuses connections (a crash, a kill, a shutdown), and no new connection has worked since.
   */
  GONE = 'gone',
  /** No answer in time, and nothing says the process is gone: frozen, overloaded or cut off. */
  SILENT = 'silent',
  /** It answered but refused the operator's login (a password rotation in flight): not a loss. */
  REFUSED = 'refused',
}

/** One replication connection as its replica reports it. */
export interface ChannelView {
  /** The connection's name: the source host's name. */
  readonly name: string;
  /** `Yes`, `No` or `Connecting`. */
  readonly io: string;
  readonly sql: string;
  readonly sqlErrno: number;
  readonly sqlError: string;
  readonly ioErrno: number;
  readonly ioError: string;
  /** MASTER_DELAY in seconds. */
  readonly delaySeconds: number;
  /** Everything the IO thread received has been applied (relay log coordinates match). */
  readonly relayApplied: boolean;
}

export interface HostView {
  readonly name: string;
  readonly reach: Reach;
  readonly readOnly?: boolean;
  /** Everything the server logged: what it committed and what it applied. */
  readonly binlogPos?: string;
  readonly channels: ChannelView[];
  /** A Galera node's state: synced, donor or other. */
  readonly galera?: GaleraState;
  /** A Galera node in the primary component: its members' addresses (without ports). */
  readonly members?: string[];
  /** A Galera node waiting for a cluster after every node was lost: its last committed position (uuid:seqno[,gtid]). */
  readonly waitingAt?: string;
  /** Why it did not answer, for the log. */
  readonly error?: string;
}

export enum GaleraState {
  /** A synced member of the primary component that takes queries. */
  SYNCED = 'synced',
  /** Synced but serving a state transfer: still a fine source for a replica. */
  DONOR = 'donor',
  /** Joining, or cut off from the primary component. */
  OTHER = 'other',
}

/** Everything one tick saw. */
export interface Observation {
  /** Milliseconds (clock of the monitor). */
  readonly at: number;
  readonly hosts: HostView[];
  /** Another actor (a switchover, a rejoin) holds the lock: the monitor acts on nothing. */
  readonly lockedBy?: string;
  /** The writer last recorded by the monitor or a switchover. */
  readonly recordedWriter?: string;
  /** Masters lost as the writer and detached, until `rejoin`. */
  readonly detached: string[];
}

export function hostIn(o: Observation, name: string): HostView | undefined {
  return o.hosts.find((h) => h.name === name);
}

export function channelOf(host: HostView | undefined, name: string): ChannelView | undefined {
  return host?.channels.find((c) => c.name === name);
}
