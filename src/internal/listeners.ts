import { guard } from './guard.js';

/**
 * A small event registry whose listeners can never throw into the code that fires them
 * (Node's EventTarget would report a throwing listener as an uncaught exception).
 */
export class Listeners<Name extends string, Event> {
  private readonly byName = new Map<Name, Set<(event: Event) => void>>();

  add(name: Name, listener: (event: Event) => void): void {
    let set = this.byName.get(name);
    if (!set) this.byName.set(name, (set = new Set()));
    set.add(listener);
  }

  remove(name: Name, listener: (event: Event) => void): void {
    this.byName.get(name)?.delete(listener);
  }

  fire(name: Name, event: Event): void {
    for (const listener of this.byName.get(name) ?? []) guard(`a '${name}' listener`, () => listener(event), undefined);
  }
}
