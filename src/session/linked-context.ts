import type { Context } from '@opentelemetry/api';

/** Links past which a chain is copied into one node, so that a lookup never walks far. */
const MAX_DEPTH = 32;

/**
 * A context that adds one entry to the context below it without copying it. The API's own
 * context copies its parent's `Map` and makes three closures for each value set; a session's
 * contexts (its baggage, its scope, its root span) and every context made inside it (each
 * span's) are these instead: a request costs a few µs less, more without a thread token
 * (docs/performance.md). A value set to `undefined` hides the one below, as a deleted key
 * does. A chain longer than MAX_DEPTH is copied into one node. @internal
 */
export class LinkedContext implements Context {
  private constructor(
    private readonly below: Context,
    private readonly key: symbol | undefined,
    private readonly value: unknown,
    /** The entries of a copied chain, nearest first; `undefined` for a link. */
    private readonly entries: ReadonlyMap<symbol, unknown> | undefined,
    private readonly depth: number,
  ) {}

  /** `parent` with `key` set to `value`. */
  static with(parent: Context, key: symbol, value: unknown): Context {
    const depth = parent instanceof LinkedContext ? parent.depth + 1 : 1;
    const link = new LinkedContext(parent, key, value, undefined, depth);
    return depth < MAX_DEPTH ? link : link.copied();
  }

  getValue(key: symbol): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts here
    let node: Context = this;
    while (node instanceof LinkedContext) {
      if (node.entries !== undefined) {
        if (node.entries.has(key)) return node.entries.get(key);
      } else if (node.key === key) return node.value;
      node = node.below;
    }
    return node.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return LinkedContext.with(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return LinkedContext.with(this, key, undefined);
  }

  /** This chain as one node: its entries (the nearest of each key) over the first context below that is not linked. */
  private copied(): LinkedContext {
    const entries = new Map<symbol, unknown>();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts here
    let node: Context = this;
    while (node instanceof LinkedContext) {
      if (node.entries !== undefined) {
        for (const [key, value] of node.entries) if (!entries.has(key)) entries.set(key, value);
      } else if (node.key !== undefined && !entries.has(node.key)) entries.set(node.key, node.value);
      node = node.below;
    }
    return new LinkedContext(node, undefined, undefined, entries, 0);
  }
}
