// Validation feedback: every problem is collected, then reported at once with its property path.

/** One thing wrong with the input, at a property path such as `masters[1].serverId`. */
export interface Problem {
  /** Property path relative to the construct's props. */
  readonly property: string;
  /** What is wrong and, where it helps, what to do. */
  readonly message: string;
}

/** Thrown at synth time when the input cannot produce a safe topology. */
export class TopologyError extends Error {
  /** Every problem found, in declaration order. */
  public readonly problems: Problem[];
  /** Construct path (or other name) the problems belong to. */
  public readonly scopePath: string;

  constructor(scopePath: string, problems: Problem[]) {
    super(formatProblems(scopePath, problems));
    this.name = 'TopologyError';
    this.scopePath = scopePath;
    this.problems = problems;
  }
}

/** One line per problem, each naming the construct path and the property. */
export function formatProblems(scopePath: string, problems: Problem[]): string {
  const noun = problems.length === 1 ? 'problem' : 'problems';
  const lines = problems.map((p) => `  - ${scopePath}.${p.property}: ${p.message}`);
  return [`Invalid MariaDB topology at '${scopePath}' (${problems.length} ${noun}):`, ...lines].join('\n');
}

/** Throws a TopologyError when there is anything to report. */
export function throwIfProblems(scopePath: string, problems: Problem[]): void {
  if (problems.length > 0) throw new TopologyError(scopePath, problems);
}
