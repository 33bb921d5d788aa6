// `gerbang merchants`: create a merchant with its API key and signing secret (shown once, stored as a hash /
// sealed), list merchants, add a key (rotation). Works on the data dir the switch uses, running or not.
import { parseArgs } from 'node:util';
import { usageError, type Command } from '../command.js';
import { addApiKey, createMerchant } from '../../http/auth.js';
import { closeHttpStore, openHttpStore } from '../../http/store.js';
import { unlockVaultKeys } from '../../vault/keys.js';
import { withCliHsm } from '../hsm-link.js';

const help = `Usage: gerbang merchants <create|list|add-key> [options]

  create   --name NAME [--id ID] [--mcc 5999] [--country 360] [--acquirer 990001]
           [--require-signature] [--data DIR] [--json]
           Creates a merchant for the HTTP API and prints its API key (gk_live_…) and request-signing
           secret ONCE. Only the key's SHA-256 is stored; it cannot be shown again.
  list     [--data DIR] [--json]          Merchants (ids, names, number of keys, webhook URL).
  add-key  --id ID [--data DIR] [--json]  A further API key for ID (rotation), shown once.

--data DIR   data directory (default ./data, the same as gerbang start)
--hsm HOST:PORT  the HSM holding the data dir's keys (create; env GERBANG_HSM); default a simulator in this
             process with the LMK of GERBANG_HSM_LMK or the test LMK, as gerbang start uses`;

export const command: Command = {
  name: 'merchants',
  summary: 'create HTTP API merchants and their API keys (shown once), list them, rotate keys',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    let values: Record<string, string | boolean | undefined>;
    try {
      values = parseArgs({
        args: rest,
        options: {
          name: { type: 'string' },
          id: { type: 'string' },
          mcc: { type: 'string' },
          country: { type: 'string' },
          acquirer: { type: 'string' },
          'require-signature': { type: 'boolean' },
          data: { type: 'string', default: 'data' },
          hsm: { type: 'string' },
          json: { type: 'boolean' },
        },
        strict: true,
      }).values;
    } catch (e) {
      return usageError((e as Error).message, help);
    }
    if (sub !== 'create' && sub !== 'list' && sub !== 'add-key') return usageError(sub ? `unknown sub-command '${sub}'` : 'missing sub-command', help);
    if (sub === 'create' && !values.name) return usageError('create needs --name', help);
    if (sub === 'add-key' && !values.id) return usageError('add-key needs --id', help);
    const dataDir = values.data as string;
    const store = openHttpStore(dataDir);
    const json = values.json === true;
    const out = (o: Record<string, unknown>, text: string) => process.stdout.write(json ? JSON.stringify(o) + '\n' : text + '\n');
    try {
      if (sub === 'create') {
        const keys = await withCliHsm(values.hsm as string | undefined, (hsm) => unlockVaultKeys(dataDir, store.meta, hsm));
        const c = await createMerchant(store, keys.dataKey, {
          name: values.name as string,
          ...(values.id ? { id: values.id as string } : {}),
          ...(values.mcc ? { mcc: values.mcc as string } : {}),
          ...(values.country ? { country: values.country as string } : {}),
          ...(values.acquirer ? { acquirerId: values.acquirer as string } : {}),
          requireSignature: values['require-signature'] === true,
        });
        out(
          { id: c.merchant.id, name: c.merchant.name, apiKey: c.apiKey, signingSecret: c.signingSecret, requireSignature: c.merchant.requireSignature },
          [
            `merchant ${c.merchant.id} (${c.merchant.name}) created`,
            `API key:        ${c.apiKey}`,
            `signing secret: ${c.signingSecret}`,
            'Store both now: they are shown only this once (the key is kept as a SHA-256 hash).',
          ].join('\n'),
        );
      } else if (sub === 'add-key') {
        const apiKey = await addApiKey(store, values.id as string);
        out({ id: values.id, apiKey }, `API key for ${values.id as string}: ${apiKey}\nShown only this once.`);
      } else {
        const list = [...store.merchants.getRange({})].map(({ value: m }) => ({ id: m.id, name: m.name, keys: m.keyHashes.length, webhook: m.webhook?.url ?? null, requireSignature: m.requireSignature }));
        if (json) process.stdout.write(JSON.stringify(list) + '\n');
        else for (const m of list) process.stdout.write(`${m.id}\t${m.name}\tkeys=${m.keys}\twebhook=${m.webhook ?? '-'}${m.requireSignature ? '\tsigned' : ''}\n`);
      }
      return 0;
    } catch (e) {
      process.stderr.write(`gerbang merchants: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await closeHttpStore(store);
    }
  },
};
