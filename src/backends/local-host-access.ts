// Host access to the machine the process itself runs on: what the failover monitor uses for its own
// state, in its own container. Only commands; the machine's lifecycle is not its to manage.
import { spawn } from 'child_process';
import { run } from '../process';
import { ExecOptions, ExecResult, HostAccess, HostProcess } from './host-access';

export class LocalHostAccess implements HostAccess {
  public exec(_host: string, command: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return run(command[0], command.slice(1), { timeoutMs: options.timeoutMs ?? 60_000, input: options.input });
  }

  public open(_host: string, command: string[]): HostProcess {
    const child = spawn(command[0], command.slice(1));
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      kill: () => child.kill(),
      onEnd: (listener) => child.on('close', (code) => listener(`session ended (${code})`)),
    };
  }

  private unsupported(what: string): never {
    throw new Error(`${what}: not available on the local machine`);
  }

  public async isRunning(): Promise<boolean> { return true; }
  public async start(): Promise<void> { this.unsupported('start'); }
  public async stop(): Promise<void> { this.unsupported('stop'); }
  public async restart(): Promise<void> { this.unsupported('restart'); }
  public async logs(): Promise<string> { return this.unsupported('logs'); }
  public async offline(): Promise<ExecResult> { return this.unsupported('offline'); }
  public async rebuildFrom(): Promise<string> { return this.unsupported('rebuild'); }
}
