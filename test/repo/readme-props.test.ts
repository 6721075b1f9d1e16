// The README documents every public prop: each member of the public props interfaces (and the
// structs they hold) appears, in backticks, in a row of one of the README's tables.
import { readFileSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';

const root = join(__dirname, '..', '..');
const PUBLIC_PROPS = [
  'MariaDbReplicationClusterProps', 'TopologySpec', 'MasterSpec', 'ReplicaSpec', 'KeyRange', 'KeyRangePlan', 'PromotionPolicy',
  'SemiSyncOptions', 'ClusterCredentials', 'ServerTuning', 'DockerBackendProps', 'HaproxyWriterEndpointProps', 'WriterHealthCheck',
  'VirtualIpOptions', 'SwitchoverSettings', 'MariaDbGaleraClusterProps', 'GaleraTopologySpec', 'GaleraNodeSpec', 'GaleraArbitratorSpec',
  'GaleraWriterEndpointProps', 'AwsBackendProps', 'Route53WriterEndpointProps', 'Route53HealthCheckOptions', 'FailoverMonitorOptions',
];

function publicMembers(): Map<string, string[]> {
  const program = ts.createProgram([join(root, 'src', 'index.ts')], { strict: true });
  const members = new Map<string, string[]>();
  for (const file of program.getSourceFiles().filter((f) => f.fileName.startsWith(join(root, 'src')))) {
    ts.forEachChild(file, (node) => {
      if (ts.isInterfaceDeclaration(node) && PUBLIC_PROPS.includes(node.name.text)) {
        members.set(node.name.text, node.members.filter(ts.isPropertySignature).map((m) => (m.name as ts.Identifier).text));
      }
    });
  }
  return members;
}

describe('README', () => {
  const tableRows = readFileSync(join(root, 'README.md'), 'utf8').split('\n').filter((l) => l.startsWith('|'));
  // Every word inside a backtick span of a table row, e.g. `{ firstKey, keysPerWriter }`.
  const documented = new Set(tableRows.flatMap((row) => [...row.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1].match(/[A-Za-z]+/g) ?? [])));
  const members = publicMembers();

  test('every public props interface is found in the sources', () => {
    expect([...members.keys()].sort()).toEqual([...PUBLIC_PROPS].sort());
  });

  test.each(PUBLIC_PROPS)('every prop of %s is in a README table', (name) => {
    expect((members.get(name) ?? []).filter((prop) => !documented.has(prop))).toEqual([]);
  });
});
