// HAProxy's runtime API, through its unix socket: from a tool, a `socat` session in the endpoint
// container (host access); from the failover monitor, the socket itself on a volume it shares.
import { createConnection } from 'net';
import { HostAccess, HostProcess } from '../backends/host-access';
import { GATE_CLOSE_COMMAND, GATE_OPEN_COMMAND, HAPROXY_RUNTIME_SOCKET } from '../render/haproxy-config';

const PROMPT = '\n> ';

export interface ServerState {
  readonly name: string;
  readonly id: number;
  /** UP, DOWN, DRAIN, MAINT, `UP 1/3`, ... */
  readonly status: string;
  /** Sessions currently open to the server. */
  readonly currentSessions: number;
  readonly backup: boolean;
  /** Failed health checks since HAProxy started. */
  readonly checkFailures: number;
}

/** Opens a session with an endpoint instance's runtime API. */
export type RuntimeConnector = () => HostProcess;

/** A session through the host access: `socat` on the socket inside the instance's container. */
export function socatIn(access: HostAccess, container: string): RuntimeConnector {
  return () => access.open(container, ['socat', '-', `UNIX-CONNECT:${HAPROXY_RUNTIME_SOCKET}`]);
}

/** A session on the socket itself, where it is shared (the failover monitor's container). */
export function unixSocket(path: string): RuntimeConnector {
  return () => {
    const socket = createConnection(path);
    socket.unref();
    return {
      stdin: socket,
      stdout: socket,
      kill: () => socket.destroy(),
      onEnd: (listener) => {
        socket.on('error', (e) => listener(e.message));
        socket.on('close', () => listener('session ended'));
      },
    };
  };
}

/**
 * HAProxy's runtime API, reached only through its unix socket (never a port on the network). One
 * interactive session per instance, kept open and reused, so a switchover's or a failover's few
 * commands cost milliseconds, not a new session each.
 */
export class HaproxyRuntime {
  private static readonly sessions = new Map<string, HaproxyRuntime>();

  /** The runtime API of the endpoint instance `instance`, reached through `connector` the first time. */
  public static of(instance: string, connector: RuntimeConnector): HaproxyRuntime {
    let runtime = HaproxyRuntime.sessions.get(instance);
    if (!runtime) HaproxyRuntime.sessions.set(instance, (runtime = new HaproxyRuntime(instance, connector)));
    return runtime;
  }

  private child?: HostProcess;
  private buffer = '';
  private waiting?: { resolve: (answer: string) => void; reject: (error: Error) => void };
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly container: string, private readonly connector: RuntimeConnector, private readonly timeoutMs = 5000) {}

  public command(line: string): Promise<string> {
    const next = this.queue.then(() => this.exchange(line));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private session(): HostProcess {
    if (this.child) return this.child;
    const child = this.connector();
    child.stdout.on('data', (d) => {
      this.buffer += d;
      // In prompt mode every answer ends with a newline and the prompt.
      if (this.waiting && this.buffer.endsWith(PROMPT)) {
        const answer = this.buffer.slice(0, -PROMPT.length);
        this.buffer = '';
        const waiting = this.waiting;
        this.waiting = undefined;
        waiting.resolve(answer);
      }
    });
    child.onEnd((why) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.waiting?.reject(new Error(`HAProxy runtime API in ${this.container}: ${why}`));
      this.waiting = undefined;
    });
    this.child = child;
    this.buffer = '';
    return child;
  }

  private async exchange(line: string): Promise<string> {
    const fresh = !this.child;
    const child = this.session();
    if (fresh) await this.send(child, 'prompt');
    return this.send(child, line);
  }

  private send(child: HostProcess, line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        child.kill();
        reject(new Error(`HAProxy runtime API in ${this.container} did not answer '${line}' within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (answer) => { clearTimeout(timer); resolve(answer); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
      child.stdin.write(`${line}\n`);
    });
  }

  /** Runs a command that answers nothing on success; anything else is an error. */
  public async set(line: string): Promise<void> {
    const answer = (await this.command(line)).trim();
    if (answer !== '') throw new Error(`HAProxy refused '${line}': ${answer}`);
  }

  public async servers(backend: string): Promise<ServerState[]> {
    const csv = await this.command('show stat');
    const [header, ...rows] = csv.split('\n').filter((l) => l.trim() !== '');
    const columns = header.replace(/^# /, '').split(',');
    const at = (row: string[], name: string) => row[columns.indexOf(name)];
    return rows
      .map((r) => r.split(','))
      .filter((r) => at(r, 'pxname') === backend && !['FRONTEND', 'BACKEND'].includes(at(r, 'svname')))
      .map((r) => ({
        name: at(r, 'svname'),
        id: Number(at(r, 'sid')),
        status: at(r, 'status'),
        currentSessions: Number(at(r, 'scur')),
        backup: at(r, 'bck') === '1',
        checkFailures: Number(at(r, 'chkfail') || 0),
      }));
  }

  /** New connections wait at the endpoint until `openGate` (bounded by the gate itself). */
  public closeGate(): Promise<void> {
    return this.set(GATE_CLOSE_COMMAND);
  }

  public openGate(): Promise<void> {
    return this.set(GATE_OPEN_COMMAND);
  }

  /** Closes every client session the endpoint has open to one server. */
  public shutdownSessions(backend: string, server: string): Promise<void> {
    return this.set(`shutdown sessions server ${backend}/${server}`);
  }

  /**
   * Sets a server's check state now, ahead of its next check (which confirms it): a new writer
   * takes connections without waiting `rise` checks.
   */
  public setHealth(backend: string, server: string, health: 'up' | 'down'): Promise<void> {
    return this.set(`set server ${backend}/${server} health ${health}`);
  }

  /** Pins new connections to the server with this id: one stick entry, replaced whole. */
  public async pin(backend: string, serverId: number): Promise<void> {
    await this.set(`clear table ${backend}`);
    await this.set(`set table ${backend} key 1 data.server_id ${serverId}`);
    const pinned = await this.stuckServerId(backend);
    if (pinned !== serverId) throw new Error(`HAProxy pinned server id ${pinned} instead of ${serverId}`);
  }

  /** The server the stick table pins new connections to, if any. */
  public async stuckServerId(backend: string): Promise<number | undefined> {
    const table = await this.command(`show table ${backend}`);
    const match = /server_id=(\d+)/.exec(table);
    return match ? Number(match[1]) : undefined;
  }
}
