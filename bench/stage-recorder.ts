/**
 * CPU of the stage recorder a recorded HTTP call, the Facturador connectors' kind: one attempt's
 * recorder made, one `ctx.http.record()` of a JSON POST and its JSON reply (four request
 * headers with a bearer token, six reply headers), the attempt's exchanges read. The recorder is
 * loaded from this tree and from `--base DIR` (another checkout), and the two run in alternating
 * rounds in this one process, so both see the same minutes of a shared machine.
 *
 * Reported: µs of this process's CPU (user + system) a recorded call, the median over the
 * rounds, and branch ÷ base. No durability involved: nothing is written.
 *
 *   node --import tsx bench/stage-recorder.ts --base DIR [--calls 50000] [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { HttpExchangeInput } from '../src/core/pipeline.js';
import type { HttpExchange } from '../src/core/types.js';
import { alternatingRounds, baseTree, cpuMicrosEach, printBaseVsBranch } from './fixtures.js';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    calls: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '7' },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);

interface RecorderModule {
  createStageRecorder(options: { stage: string; attempt: number; now: () => Date }): {
    http: { record(exchange: HttpExchangeInput): void };
    exchanges(): HttpExchange[];
  };
}

const here = (await import('../src/engine/stage-recorder.js')) as RecorderModule;
const baseDir = baseTree(values.base, 'node --import tsx bench/stage-recorder.ts --base DIR [--calls 50000] [--rounds 7]');
const base = (await import(pathToFileURL(`${baseDir}/src/engine/stage-recorder.ts`).href)) as RecorderModule;

// What a Facturador connector records (examples/facturador/connectors/http.ts): the body as a value.
const exchangeOf = (i: number): HttpExchangeInput => ({
  request: {
    method: 'POST',
    url: `http://127.0.0.1:4010/worldoffice/api/v1/invoices?reference=INV-${70_000_000 + i}`,
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: 'Bearer sandbox-token-0123456789',
      'idempotency-key': `webpig:epayco:${i}:create-invoice`,
    },
    body: {
      customerId: 1000 + i,
      reference: `INV-${70_000_000 + i}`,
      amount: 125_000,
      lines: [{ sku: 'PLAN-BASIC', description: 'Suscripción mensual plan básico', qty: 1, price: 125_000 }],
    },
  },
  response: {
    status: 201,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': '96',
      date: 'Sun, 06 Dec 2026 20:00:00 GMT',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'x-request-id': `req-${i}`,
    },
    body: { id: 5000 + i, number: 9000 + i, reference: `INV-${70_000_000 + i}`, amount: 125_000 },
  },
  durationMs: 3,
});
const inputs = Array.from({ length: 1000 }, (_, i) => exchangeOf(i));
const now = (): Date => new Date();

let kept = 0;
function round(module: RecorderModule): number {
  return cpuMicrosEach(calls, (i) => {
    const recorder = module.createStageRecorder({ stage: 'create-invoice', attempt: 1, now });
    recorder.http.record(inputs[i % inputs.length]!);
    kept += recorder.exchanges().length;
  });
}

const took = alternatingRounds(rounds, (side) => round(side === 'base' ? base : here));
printBaseVsBranch(`stage recorder, one recorded call (record + exchanges), ${calls} a round`, 'a call', took, baseDir, {
  note: `${kept} exchanges kept`,
});
