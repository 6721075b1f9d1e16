// Shell quoting for commands the synthesized configuration runs (pure).

/** One shell word: single-quoted, so nothing in it is expanded. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
