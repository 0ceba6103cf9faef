// How the simulated providers name a request (simulated-provider.ts).
/** A request as the simulator knows it: what signrelay stored when it sent it. */
export interface SimulatedRequest {
  providerOrderId: string | null;
  /** Per document, in order: the reference signrelay uploaded it under. */
  references: string[];
}
