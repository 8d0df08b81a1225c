import { guard } from './guard.js';

/**
 * A small event registry whose listeners can never throw into the code that fires them
 * (Node's EventTarget would report a throwing listener as an uncaught exception).
 */
export class Listeners<Name extends string, Event> {
  // Made at the first listener: most sessions and threads never get one.
  private byName: Map<Name, Set<(event: Event) => void>> | undefined;

  add(name: Name, listener: (event: Event) => void): void {
    this.byName ??= new Map();
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    set.add(listener);
  }

  remove(name: Name, listener: (event: Event) => void): void {
    this.byName?.get(name)?.delete(listener);
  }

  fire(name: Name, event: Event): void {
    const listeners = this.byName?.get(name);
    if (listeners === undefined) return;
    for (const listener of listeners) guard(`a '${name}' listener`, () => listener(event), undefined);
  }
}
