// The engine's data keys (src/state/keyring.ts DataKeys), held by the HSM: see src/state/host-keys.ts.
// unlockState() in ./env.ts fetches them at start-up.
import type { KeySlot } from './host-keys.js';
import type { DataKeys } from './keyring.js';

export type { DataKeys } from './keyring.js';

export const STATE_KEYS_RECORD = 'dataKeys';
export const STATE_KEY_SLOTS: Record<keyof DataKeys, KeySlot> = {
  panKey: { usage: 'D0', legacyLabel: 'pan' },
  hashKey: { usage: 'M7', legacyLabel: 'hash' },
};
