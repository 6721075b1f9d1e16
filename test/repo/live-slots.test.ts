// Live test files run side by side: no two deployments may share a name prefix (cleanup removes
// by prefix), a network or a host port, and none may take what the README's example uses.
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { AWS_TEST_PREFIX, EXAMPLE_RESERVED, LIVE_SLOTS, LiveSlot, SLOT_PORTS } from '../support/live-slots';

const root = join(__dirname, '..', '..');
const named: Array<[string, LiveSlot]> = [...Object.entries(LIVE_SLOTS), ['example', EXAMPLE_RESERVED]];

describe('live slots', () => {
  test('no prefix starts another one (removing one slot\'s objects never touches another\'s)', () => {
    const prefixes = [...named.map(([, s]) => s.prefix), AWS_TEST_PREFIX];
    const clashes = prefixes.flatMap((a, i) => prefixes.filter((b, j) => i !== j && b.startsWith(a)).map((b) => `${a} starts ${b}`));
    expect(clashes).toEqual([]);
  });

  test('networks and port blocks are disjoint', () => {
    const clashes = named.flatMap(([a, s], i) => named.slice(i + 1).flatMap(([b, t]) => [
      ...(s.subnetOctet === t.subnetOctet ? [`${a} and ${b} share 10.213.${s.subnetOctet}.0/24`] : []),
      ...(s.port < t.port + SLOT_PORTS && t.port < s.port + SLOT_PORTS ? [`${a} (${s.port}) and ${b} (${t.port}) share host ports`] : []),
    ]));
    expect(clashes).toEqual([]);
  });

  test('every live test and benchmark takes its network and ports from a slot', () => {
    const files = [
      ...readdirSync(join(root, 'test', 'live')).map((f) => join('test', 'live', f)),
      ...readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => join('bench', f)),
    ];
    const literal = /10\.213\.\d+\.|subnetOctet: *\d|port: *2\d{4}|hostPort(Base)?: *\d/;
    const offenders = files.filter((f) => literal.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
    expect(files.length).toBeGreaterThan(10);
  });
});
