// What the demo's observer (demo-observer.ts) and its provider facts (provider-mail-facts.ts) share.
import type { Daemon } from '../daemon.ts';
import type { MailWorld } from './mail-world.ts';
import type { ServiceNowSimulator } from './servicenow/server.ts';
import type { SimulatedProvider } from './simulated-provider-types.ts';

/** One printed step: when it happened, a headline and indented details. */
export interface Fact {
  key: string;
  at: number;
  headline: string;
  details: string[];
}

export interface DemoSources {
  daemon: Daemon;
  signing: SimulatedProvider;
  servicenow: ServiceNowSimulator;
  world: MailWorld;
  /** The mails the watchers filed, as daemon.events told them. */
  moves: Array<{ at: number; watcher: 'requests' | 'returns'; messageId: string | null; folder: string }>;
}

/** Renders a fact once (some read PDFs) and hands out the same one on every poll. */
export type FactMaker = (key: string, make: () => Fact | Promise<Fact>) => Promise<Fact>;
