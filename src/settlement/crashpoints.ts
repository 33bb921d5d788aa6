// Named points in a batch where the crash test stops the process (GERBANG_SETTLE_PAUSE_AT=<name>, or the
// switch-wide GERBANG_PAUSE_AT): the one mechanism in src/runtime/crashpoints.ts.
export { pausePoint as crashPoint } from '../runtime/crashpoints.js';
