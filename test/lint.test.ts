// The lint and the type check are tests: `npm test` fails when either does.
// ESLint runs as a child process: its config loader needs a native dynamic import jest's VM lacks.
import { execFileSync, spawnSync } from 'child_process';
import { join } from 'path';

const root = join(__dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
jest.setTimeout(120_000);

interface LintResult { filePath: string; messages: Array<{ line: number; message: string }> }

function eslint(args: string[], input?: string): LintResult[] {
  const run = spawnSync(bin('eslint'), ['--format', 'json', ...args], { cwd: root, input, encoding: 'utf8' });
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed to run: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function lintSnippet(code: string, filePath: string): string[] {
  return eslint(['--stdin', '--stdin-filename', join(root, filePath)], code).flatMap((r) => r.messages.map((m) => m.message));
}

describe('lint', () => {
  test('the whole project lints clean', () => {
    const problems = eslint(['.']).flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(problems).toEqual([]);
  });

  test('a provider root import is rejected', () => {
    const messages = lintSnippet("import { Container } from '@cdktf/provider-docker';\nexport const c = Container;\n", 'src/backends/docker/x.ts');
    expect(messages).toEqual([expect.stringMatching(/Import providers by deep path only/)]);
  });

  test('a provider deep import is accepted', () => {
    const messages = lintSnippet("import { Container } from '@cdktf/provider-docker/lib/container';\nexport const c = Container;\n", 'src/backends/docker/x.ts');
    expect(messages).toEqual([]);
  });

  test('cdktf imported by the pure model is rejected', () => {
    const messages = lintSnippet("import { Token } from 'cdktf';\nexport const t = Token;\n", 'src/model/x.ts');
    expect(messages).toEqual([expect.stringMatching(/pure/)]);
  });

  test('cdktf imported outside src/cdktf.ts is rejected', () => {
    const messages = lintSnippet("import { Token } from 'cdktf';\nexport const t = Token;\n", 'src/constructs/x.ts');
    expect(messages).toEqual([expect.stringMatching(/through src\/cdktf\.ts/)]);
  });
});

describe('type check', () => {
  test('tsc --noEmit passes', () => {
    expect(() => execFileSync(bin('tsc'), ['--noEmit', '-p', root], { stdio: 'pipe' })).not.toThrow();
  });
});
