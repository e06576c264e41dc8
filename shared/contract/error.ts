/** @module The one error a contract decoder throws: the message says what and where. */

export class ContractError extends TypeError {
  readonly code = "CONTRACT";
  constructor(
    readonly kind: string,
    detail: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = "ContractError";
  }
}
