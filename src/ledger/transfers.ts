// A transfer's current state: books.states holds it once it changed (voided, posted, refunded, charged back,
// reversed); until then it is the state its own posting opened (Posting.transfer). Every reader goes through
// transferState, never books.states alone.
import type { Books } from './books.js';
import { decodePostingHead, POSTING_TAG } from './postingCodec.js';
import { openedState, type TransferState } from './rules.js';

export function transferState(books: Books, id: string): TransferState | undefined {
  const changed = books.states.get(id) as TransferState | undefined;
  if (changed) return changed;
  // Originals are looked up for ~40 % of records: a posting in the binary layout is read without its entries.
  const bytes = books.postings.getBinaryFast(id);
  if (bytes === undefined) return undefined;
  const p = bytes[0] === POSTING_TAG ? decodePostingHead(bytes, 0, bytes.length, id) : books.postings.get(id);
  return p ? openedState(p) : undefined;
}
