// HAProxy's runtime API over TCP: one command per connection, the answer read until HAProxy closes.
import { connect as tcpConnect } from 'net';
import { GATE_CLOSE_COMMAND, GATE_OPEN_COMMAND } from '../render/haproxy-config';
import { Endpoint } from './mariadb-client';

export interface ServerState {
  readonly name: string;
  readonly id: number;
  /** UP, DOWN, DRAIN, MAINT, `UP 1/3`, ... */
  readonly status: string;
  /** Sessions currently open to the server. */
  readonly currentSessions: number;
  readonly backup: boolean;
}

export class HaproxyRuntime {
  constructor(private readonly endpoint: Endpoint, private readonly timeoutMs = 3000) {}

  public command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: this.endpoint.host, port: this.endpoint.port });
      let answer = '';
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`HAProxy runtime API did not answer '${line}' within ${this.timeoutMs} ms`)); }, this.timeoutMs);
      socket.on('connect', () => socket.write(`${line}\n`));
      socket.on('data', (d) => { answer += d; });
      socket.on('error', (e) => { clearTimeout(timer); reject(new Error(`HAProxy runtime API at ${this.endpoint.host}:${this.endpoint.port}: ${e.message}`)); });
      socket.on('close', () => { clearTimeout(timer); resolve(answer); });
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
