// Full-cluster recovery of Galera, decided as a table of situations: which node may restart the
// cluster, or why none may.
import { chooseBootstrapNode, NodePosition, NO_HISTORY, parseGrastate, parseRecoveredPosition } from '../../src/operator/galera/recovery';

const HISTORY = '872d0d29-f123-11f1-80ad-ba8b8c804c16';
const OTHER = '11111111-2222-3333-4444-555555555555';
const NODES = ['node-1', 'node-2', 'node-3'];
const at = (node: string, seqno: number, extra: Partial<NodePosition> = {}): NodePosition =>
  ({ node, uuid: HISTORY, seqno, safeToBootstrap: false, source: 'wsrep-recover', ...extra });

describe('which node restarts a Galera cluster after every node was lost', () => {
  test.each<[string, NodePosition[], string[], string | RegExp]>([
    ['the most advanced node, whatever its place', [at('node-1', 90), at('node-2', 120), at('node-3', 118)], [], 'node-2'],
    ['the bootstrap node the most behind is passed over', [at('node-1', 10), at('node-2', 40), at('node-3', 40)], [], 'node-2'],
    ['a tie: the node marked safe to bootstrap (the last to leave cleanly)', [at('node-1', 50), at('node-2', 50), at('node-3', 50, { safeToBootstrap: true })], [], 'node-3'],
    ['a tie, none marked: declaration order', [at('node-1', 50), at('node-2', 50), at('node-3', 50)], [], 'node-1'],
    ['safe to bootstrap never beats a more advanced node', [at('node-1', 70, { safeToBootstrap: true }), at('node-2', 71), at('node-3', 69)], [], 'node-2'],
    ['an empty node (never synced) does not count', [at('node-1', -1, { uuid: NO_HISTORY }), at('node-2', 7), at('node-3', 5)], [], 'node-2'],
    ['a node declared gone is not waited for', [at('node-1', 30), at('node-2', 33)], ['node-3'], 'node-2'],
    ['a gone node\'s position, if read anyway, is ignored', [at('node-1', 30), at('node-2', 33), at('node-3', 99)], ['node-3'], 'node-2'],
    ['one node left, the others declared gone: it restarts alone', [at('node-2', 12)], ['node-1', 'node-3'], 'node-2'],
    ['a node whose position is unknown may hold the latest commits', [at('node-1', 30), at('node-2', 33)], [], /position of node-3 is unknown.*declare it gone/],
    ['two unknown', [at('node-2', 33)], [], /position of node-1, node-3 is unknown.*bring them back/],
    ['two histories: the data to keep is a person\'s decision', [at('node-1', 30), at('node-2', 33, { uuid: OTHER }), at('node-3', 31)], [], /2 different cluster histories/],
    ['no position anywhere', [at('node-1', -1), at('node-2', -1, { uuid: NO_HISTORY }), at('node-3', -1)], [], /no node holds a position/],
    ['a gone name that is not a node', [at('node-1', 3), at('node-2', 3), at('node-3', 3)], ['node-9'], /node-9 is not a node of this cluster/],
  ])('%s', (_situation, positions, gone, expected) => {
    const choice = chooseBootstrapNode(positions, NODES, gone);
    if (typeof expected === 'string') expect(choice).toEqual({ node: expected });
    else expect(choice).toEqual({ refusal: expect.stringMatching(expected) });
  });
});

describe('where a node stands', () => {
  test('grastate.dat after a clean shutdown, and after a crash', () => {
    expect(parseGrastate(`# GALERA saved state\nversion: 2.1\nuuid:    ${HISTORY}\nseqno:   206\nsafe_to_bootstrap: 1\n`))
      .toEqual({ uuid: HISTORY, seqno: 206, safeToBootstrap: true });
    expect(parseGrastate(`version: 2.1\nuuid:    ${HISTORY}\nseqno:   -1\nsafe_to_bootstrap: 0\n`)).toEqual({ uuid: HISTORY, seqno: -1, safeToBootstrap: false });
    expect(parseGrastate('')).toEqual({ uuid: NO_HISTORY, seqno: -1, safeToBootstrap: false });
  });

  test('InnoDB\'s recovered position, with or without the GTID after it; the last one counts', () => {
    expect(parseRecoveredPosition(`2026-12-06 [Note] WSREP: Recovered position: ${HISTORY}:206,100-1-206\n`)).toEqual({ uuid: HISTORY, seqno: 206 });
    expect(parseRecoveredPosition(`WSREP: Recovered position: ${HISTORY}:-1\nWSREP: Recovered position: ${HISTORY}:12\n`)).toEqual({ uuid: HISTORY, seqno: 12 });
    expect(parseRecoveredPosition('[ERROR] Aborting')).toBeUndefined();
  });
});
