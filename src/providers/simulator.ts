/**
 * How a protocol is played from outside: the requests its network sends, signed as the network
 * signs them, and what its answers mean. `payrelay simulate <instance> <action>`, the contract
 * suite every protocol passes and the pay bench all play a network through this, so the
 * protocol's knowledge of its own wire format lives in its folder only.
 */
import type { ProviderSettings } from './types.js';

export interface SimulatedRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signed?: boolean;
}

export interface SimulatedAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** What every simulated request may carry; a protocol reads the ones its action needs. */
export interface SimulationInput {
  account?: string;
  /** A decimal, like `100.00`. */
  sum?: string;
  /** The network's id of the payment (for an event: of the payment it is about). */
  txnId?: string;
  /** The protocol's own options, by name (`currency`, `invoice-id`, ...). */
  extra?: Record<string, string | undefined>;
  now?: Date;
}

/** The inputs every protocol shares, as a protocol's `aliases` names them. */
export type CommonInput = 'account' | 'sum' | 'txnId';

/** A request the input cannot make: it lacks `input` (a common one, or an option's name). */
export class MissingInput extends Error {
  constructor(readonly input: CommonInput | string) {
    super(`the simulated request needs ${input}`);
  }
}

export interface Simulator<S extends ProviderSettings = ProviderSettings> {
  /** Every action, `check` and `pay` first; the others make events (`refund`, `cancel`, ...). */
  actions: readonly string[];
  /** The protocol's own command-line options besides --account, --sum and --txn-id, with their meaning. */
  options?: Readonly<Record<string, string>>;
  /** Other names of a common input in the network's own words: `{ amount: 'sum' }` takes --amount for --sum. */
  aliases?: Readonly<Record<string, CommonInput>>;
  /**
   * Signs a request as the network signs it (headers added), for a body of the caller's own (the
   * bench's real-sized notification); absent when the network signs nothing.
   */
  sign?(request: SimulatedRequest, settings: S): SimulatedRequest;
  /** One request to the instance whose endpoints are under `base` (ends with `/`); MissingInput when it lacks one. */
  request(base: URL, action: string, input: SimulationInput, settings: S): SimulatedRequest;
  /**
   * What the answer means, in lines for a person, whether the network would take it as accepted,
   * and whether it would repeat the request later (`temporary`: our failure, answered so that the
   * network retries; false or absent for an acceptance or a final refusal). `action`, when given,
   * is the action the answer is to: a network may read one answer differently per request.
   */
  explain(answer: SimulatedAnswer, action?: string): Explanation;
  /**
   * How the network is answered when a pay reuses a recorded id with another account or sum:
   * `refused` (the default) or `accepted` (its money is taken already, so the pay is acknowledged
   * and kept aside). Either way nothing recorded changes and nothing new is delivered.
   */
  clash?: 'refused' | 'accepted';
  /**
   * An action that makes an event about a recorded payment (`txnId` naming it, with its account
   * and sum), such as `refund` or `cancel`; absent when the network sends none. The contract suite
   * sends it and waits for the event's webhook.
   */
  eventAction?: string;
}

/** What a network makes of an answer (Simulator.explain). */
export interface Explanation {
  lines: string[];
  accepted: boolean;
  /** True when the network repeats the request later on this answer. */
  temporary?: boolean;
}
