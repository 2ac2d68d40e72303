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
  /** What the answer means, in lines for a person, and whether the network would take it as accepted. */
  explain(answer: SimulatedAnswer): { lines: string[]; accepted: boolean };
}
