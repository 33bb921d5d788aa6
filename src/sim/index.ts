// Public API of the simulators that ship with gerbang: the issuer host simulator (a remote bank), the acquirer
// load generator (terminals driving the switch open-loop) and the bare echo server the switch bench measures
// its ceiling with. See ./README.md.
export { startIssuerSim, ISSUER_FAIL_MODES, type IssuerSim, type IssuerSimOptions, type IssuerSimStats, type IssuerFailMode, type ReceivedRequest } from './issuer.js';
export { startEchoServer, type EchoServer } from './echo.js';
export { OpenLoop, type OpenLoopOptions, type OpenLoopResult, type OpenLoopProgress } from './openloop.js';
export { LatencyHistogram, type LatencySummary } from './latency.js';
export { runAcquirer, poolFor, parseMix, DEFAULT_MIX, type AcquirerOptions, type AcquirerSummary, type Mix } from './acquirer.js';
export { buildTxnPool, type TxnPool, type PoolOptions, type SimCard, type SimTerminal, type FreshTxn } from './pool.js';
export { DukptTerminal, makeKsn } from './dukpt.js';
export { SIM_KINDS, type SimKind } from './messages.js';
