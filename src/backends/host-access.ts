// The host-access contract: how the operator core reaches the machine a host runs on (its shell, its
// lifecycle, its data), whatever the backend. Docker implements it with `docker exec`; the monitor's
// own container with local processes. Tools never start `docker` themselves.
import { Readable, Writable } from 'stream';

export interface ExecOptions {
  /** Written to the command's stdin (secrets go here, never into arguments). */
  readonly input?: string;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** A long-running command on a host, talked to through its standard streams. */
export interface HostProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  kill(): void;
  /** Called once when the process ends, with what it printed on stderr. */
  onEnd(listener: (why: string) => void): void;
}

/** What a host access can do; `host` is the backend's own name for the host (its backendName). */
export interface HostAccess {
  /** Runs a command (no shell unless the command is one) and collects its output. */
  exec(host: string, command: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Starts a command whose stdin and stdout stay open (an interactive admin session). */
  open(host: string, command: string[]): HostProcess;
  isRunning(host: string): Promise<boolean>;
  start(host: string): Promise<void>;
  /** Stops the host, giving the server `graceSeconds` to shut down cleanly. */
  stop(host: string, graceSeconds: number): Promise<void>;
  restart(host: string, graceSeconds: number): Promise<void>;
  /** The host's recent console output (the server's error log). */
  logs(host: string, tailLines?: number): Promise<string>;
  /**
   * Runs a bash script on the stopped host's data (at the data directory) with its own server
   * software and settings (at the server config path), without starting the host: recovery work
   * on a host that must not start yet.
   */
  offline(host: string, script: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Replaces `host`'s data with a prepared physical copy of the running `donor` (the host is
   * stopped for it and started again), running `finish` shell lines on the copy first; returns the
   * donor's GTID position at the copy.
   */
  rebuildFrom(donor: string, host: string, finish: string[], progress: (line: string) => void): Promise<string>;
}

/** Like exec, but fails (saying which host and command) unless the command exits 0. */
export async function execChecked(access: HostAccess, host: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await access.exec(host, command, options);
  if (result.code !== 0 || result.timedOut) {
    const why = result.timedOut ? `timed out after ${(options.timeoutMs ?? 60_000) / 1000} s` : `exited with ${result.code}`;
    throw new Error(`${host}: ${command[0]} ${why}: ${lastLines(result.stderr || result.stdout, 5)}`);
  }
  return result;
}

export function lastLines(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
