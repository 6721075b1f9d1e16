// Runs a command with a deadline, capturing its output; a hang fails with what it printed so far.
import { spawn } from 'child_process';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly seconds: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly input?: string;
  /** Called with each chunk of output, for progress displays. */
  readonly onOutput?: (chunk: string) => void;
}

export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d; options.onOutput?.(d.toString()); });
    child.stderr.on('data', (d: Buffer) => { stderr += d; options.onOutput?.(d.toString()); });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* already gone */ }
      setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } }, 5000).unref();
    }, options.timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, seconds: (Date.now() - started) / 1000 });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Like run, but throws (with the command's output) unless it exits 0 in time. */
export async function runChecked(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0 || result.timedOut) {
    const why = result.timedOut ? `timed out after ${options.timeoutMs / 1000} s` : `exited with ${result.code}`;
    // The error first: a clipped report keeps its head.
    throw new Error(`${command} ${args.join(' ')} ${why}\n--- stderr ---\n${tail(result.stderr)}\n--- stdout ---\n${tail(result.stdout)}`);
  }
  return result;
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}
