// Card status changes after provisioning: an analyst's fraud verdict blocks the card (62 from then on). Works on
// a running switch's data dir from another process: LMDB serialises the write with the engine's commits, and
// lmdb-js renews the engine's read snapshot on every event turn, so the next authorization sees the new status.
import type { CardStatus } from './records.js';
import type { State } from './env.js';

export interface CardStatusChange {
  panMasked: string;
  was: CardStatus;
  now: CardStatus;
}

/**
 * Blocks the card with this PAN hash, durably. An active card becomes 'blocked'; a card already blocked, lost,
 * stolen or expired keeps its status (a stronger status is never weakened). Undefined when no such card.
 */
export async function blockCard(s: State, panHash: string): Promise<CardStatusChange | undefined> {
  let change: CardStatusChange | undefined;
  await s.root.transaction(() => {
    const card = s.cards.get(panHash);
    if (!card) return;
    change = { panMasked: card.panMasked, was: card.status, now: card.status === 'active' ? 'blocked' : card.status };
    if (change.now !== card.status) s.cards.put(panHash, { ...card, status: change.now });
  });
  await s.root.flushed;
  return change;
}
