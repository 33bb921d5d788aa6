// hsm-sim: a payShield-style HSM simulator. Start it with startHsmServer (or `gerbang hsm`).
export { startHsmServer, MAX_FRAME, type HsmServer, type HsmServerOptions, type HsmStats } from './server.js';
export { loadLmk } from './lmk-file.js';
export { KEY_TYPE_CODES } from './keys.js';
export { responseCode } from './commands.js';
