// How the monitor sees one host: a connection it holds open and asks every tick. Holding it is
// what tells a dead server from a silent one: when the server process ends, the kernel closes its
// connections at once, and the monitor hears of it before any timeout; a frozen or cut-off server
// just stops answering.
import { Connection } from 'mysql2/promise';
import { galeraStateQuery, GALERA_DONOR, GALERA_SYNCED } from '../../render/sql';
import { SERVER_POSITIONS } from '../../render/statements';
import { readChannels } from '../replication-status';
import { connect, Endpoint, Login, queryRows } from '../sql-client';
import { ChannelView, GaleraState, HostView, Reach } from './observation';

/** Error codes that mean the server's side of the connection is gone, not slow. */
const SERVER_ENDED = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED']);
const ACCESS_DENIED = 1045;

export interface ProbeOptions {
  /** How long a connect or a probe may take before the host counts as silent. */
  readonly timeoutMs: number;
  /** Read the node's Galera state too. */
  readonly galera?: boolean;
  /** Called when the held connection ends on the server's side, so the monitor looks again at once. */
  readonly onServerEnded?: () => void;
}

export class HostProbe {
  private connection?: Connection;
  private connecting?: Promise<Connection>;
  /** The server ended our connection (or refused one) and no connection has worked since. */
  private endedByServer = false;

  constructor(public readonly name: string, private readonly endpoint: Endpoint, private readonly login: () => Login, private readonly options: ProbeOptions) {}

  /** One look at the host; never throws. */
  public async look(): Promise<HostView> {
    try {
      const c = await this.connected();
      const view = await withTimeout(this.ask(c), this.options.timeoutMs);
      this.endedByServer = false;
      return view;
    } catch (error) {
      return this.failed(error as any);
    }
  }

  private async connected(): Promise<Connection> {
    if (this.connection) return this.connection;
    if (!this.connecting) {
      this.connecting = connect(this.endpoint, this.login(), this.options.timeoutMs).then((c) => {
        this.watch(c);
        this.connection = c;
        return c;
      }).finally(() => { this.connecting = undefined; });
      this.connecting.catch(() => undefined);
    }
    // A dead server's address can take seconds to fail a connect; the tick does not wait for it.
    if (this.endedByServer) throw Object.assign(new Error('its server ended the last connection'), { code: 'PROTOCOL_CONNECTION_LOST' });
    return withTimeout(this.connecting, this.options.timeoutMs);
  }

  private watch(c: Connection): void {
    const ended = (error?: any) => {
      if (this.connection !== c) return;
      this.connection = undefined;
      if (!error || SERVER_ENDED.has(error.code)) {
        this.endedByServer = true;
        this.options.onServerEnded?.();
      }
    };
    const raw = (c as any).connection;
    raw.on('error', ended);
    raw.on('end', () => ended());
  }

  private async ask(c: Connection): Promise<HostView> {
    const [positions] = await queryRows<any>(c, SERVER_POSITIONS);
    const channels = (await readChannels(c)).map((ch): ChannelView => ({
      name: ch.connectionName, io: ch.ioRunning, sql: ch.sqlRunning, sqlErrno: ch.lastSqlErrno, sqlError: ch.lastSqlError,
      ioErrno: ch.lastIoErrno, ioError: ch.lastIoError, delaySeconds: ch.sqlDelay, relayApplied: ch.relayApplied,
    }));
    let galera: GaleraState | undefined;
    let members: string[] | undefined;
    if (this.options.galera) {
      const [row] = await queryRows<any>(c, `${galeraStateQuery("'")} AS state, (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_INCOMING_ADDRESSES') AS members`);
      galera = row.state === GALERA_SYNCED ? GaleraState.SYNCED : row.state === GALERA_DONOR ? GaleraState.DONOR : GaleraState.OTHER;
      if (galera !== GaleraState.OTHER) members = memberAddresses(String(row.members ?? ''));
    }
    return { name: this.name, reach: Reach.ANSWERS, readOnly: Number(positions.readOnly) === 1, binlogPos: positions.binlogPos, channels, galera, members };
  }

  private failed(error: any): HostView {
    const held = this.connection;
    if (held) {
      // Our own timeout: drop the connection, so the next look connects afresh.
      this.connection = undefined;
      held.destroy();
    }
    if (error?.errno === ACCESS_DENIED) return { name: this.name, reach: Reach.REFUSED, channels: [], error: error.message };
    if (SERVER_ENDED.has(error?.code)) this.endedByServer = true;
    return { name: this.name, reach: this.endedByServer ? Reach.GONE : Reach.SILENT, channels: [], error: error?.message ?? String(error) };
  }

  public close(): void {
    this.connection?.destroy();
    this.connection = undefined;
  }
}

/** `wsrep_incoming_addresses` (`10.0.0.1:3306,10.0.0.2:3306`) as addresses without ports. */
export function memberAddresses(value: string): string[] {
  return value.split(',').map((a) => a.trim().replace(/:\d+$/, '')).filter((a) => a !== '' && a !== 'AUTO');
}

/**
 * The last committed position a Galera node shows while it waits for a cluster (every node was
 * lost), or undefined when nothing waits there; never throws.
 */
export async function waitingPosition(endpoint: Endpoint, login: Login, timeoutMs: number): Promise<string | undefined> {
  let c: Connection | undefined;
  try {
    c = await withTimeout(connect(endpoint, login, timeoutMs), timeoutMs);
    const [row] = await withTimeout(queryRows<any>(c, 'SELECT @@wsrep_on AS wsrepOn, @@wsrep_start_position AS position'), timeoutMs);
    return Number(row.wsrepOn) === 0 && /^[0-9a-f-]{36}:-?\d+/.test(String(row.position)) ? String(row.position) : undefined;
  } catch {
    return undefined;
  } finally {
    c?.destroy();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' })), ms); }),
  ]).finally(() => clearTimeout(timer));
}
