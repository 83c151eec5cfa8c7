import { sessionCreatedAt } from './foundation-seeders.js';
import { DAY_MS, IdKind, type SeedContext, type TableSeeder } from './seed-plan.js';

const HOOK_EVENTS = ['session_start', 'user_prompt_submit', 'tool_use', 'tool_done', 'stop', 'notification'] as const;

/** Mostly done work with a tail of due, failing and locked rows, as a live daemon's queues look. */
function* hookOutbox(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i++) {
    const createdAt = sessionCreatedAt(ctx, i);
    const delivered = rng.chance(0.9);
    const attempts = delivered ? rng.int(0, 1) : rng.int(0, 6);
    yield {
      session_id: ctx.sessionId(i),
      event_type: rng.pick(HOOK_EVENTS),
      payload: { session_id: ctx.sessionId(i), transcript_path: `/tmp/t/${i}.jsonl`, prompt: rng.words(6) },
      created_at: createdAt,
      next_attempt_at: rng.after(createdAt, 60_000),
      attempt_count: attempts,
      last_error: attempts > 0 && !delivered ? 'connect ECONNREFUSED 127.0.0.1:8420' : null,
      delivered_at: delivered ? rng.after(createdAt, 5_000) : null,
      locked_at: !delivered && rng.chance(0.05) ? createdAt : null,
    };
  }
}

function* inboundQueue(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i++) {
    const createdAt = sessionCreatedAt(ctx, i);
    const status = rng.weighted([
      ['delivered', 85],
      ['pending', 5],
      ['failed', 4],
      ['expired', 4],
      ['processing', 2],
    ] as const);
    const origin = rng.pick(['telegram', 'discord', 'api'] as const);
    const type = rng.weighted([
      ['text', 90],
      ['voice', 7],
      ['file', 3],
    ] as const);
    const attempts = status === 'failed' ? rng.int(1, 7) : status === 'delivered' ? rng.int(0, 1) : 0;
    yield {
      session_id: ctx.sessionId(i),
      origin,
      message_type: type,
      content: type === 'text' ? rng.words(rng.int(3, 40)) : '',
      payload: type === 'text' ? {} : { fileId: rng.hex(16), mime: type === 'voice' ? 'audio/ogg' : 'application/pdf' },
      actor_id: String(10_000 + (i % 50)),
      actor_name: rng.pick(['Alice', 'Bob', 'Carol', 'Dave']),
      actor_avatar_url: null,
      status,
      created_at: createdAt,
      processed_at: status === 'delivered' || status === 'expired' ? rng.after(createdAt, 10_000) : null,
      attempt_count: attempts,
      next_retry_at: status === 'failed' ? rng.after(createdAt, 300_000) : null,
      last_error: status === 'failed' ? 'tmux session not found' : null,
      locked_at: status === 'processing' ? createdAt : null,
      source_message_id: `${origin}-${i}`,
      source_channel_id: origin === 'api' ? null : String(-100_000 - (i % 20)),
    };
  }
}

function* operations(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i += 5) {
    const createdAt = sessionCreatedAt(ctx, i);
    const state = rng.weighted([
      ['completed', 80],
      ['failed', 8],
      ['cancelled', 4],
      ['stale', 3],
      ['running', 3],
      ['queued', 2],
    ] as const);
    const started = state === 'queued' ? null : rng.after(createdAt, 2_000);
    const done = ['completed', 'failed', 'cancelled', 'stale'].includes(state) ? rng.after(createdAt, DAY_MS / 24) : null;
    yield {
      operation_id: ctx.id(IdKind.Operation, i),
      kind: rng.pick(['todo_work', 'prepare', 'integrate', 'review']),
      caller_session_id: ctx.sessionId(i),
      cwd: `/home/dev/src/${ctx.projectOf(i)}`,
      payload: { slug: `task-${i}`, args: [] },
      client_request_id: ctx.id(IdKind.Request, i),
      slug: `task-${i}`,
      state,
      progress_phase: state === 'running' ? 'build' : null,
      progress_decision: null,
      progress_reason: null,
      result_text: state === 'completed' ? rng.words(12) : null,
      error_text: state === 'failed' ? 'exit code 1' : null,
      created_at: createdAt,
      updated_at: done ?? started ?? createdAt,
      started_at: started,
      completed_at: done,
      heartbeat_at: started,
      attempt_count: started ? 1 : 0,
    };
  }
}

const CONTRACTS = 10;

function* webhookContracts(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let c = 0; c < CONTRACTS; c++) {
    yield {
      id: `contract-${c}`,
      contract: { target: { url: `https://hooks.example.com/${c}` }, filter: { events: ['session.closed', 'session.output'] } },
      active: c < CONTRACTS - 2,
      source: c % 3 === 0 ? 'config' : 'api',
      created_at: new Date(ctx.now.getTime() - 100 * DAY_MS),
      updated_at: ctx.now,
    };
  }
}

function* webhookOutbox(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i += 5) {
    const createdAt = sessionCreatedAt(ctx, i);
    const status = rng.weighted([
      ['delivered', 90],
      ['pending', 5],
      ['dead_letter', 3],
      ['rejected', 2],
    ] as const);
    const c = i % CONTRACTS;
    yield {
      contract_id: `contract-${c}`,
      event: { type: 'session.closed', sessionId: ctx.sessionId(i) },
      target_url: `https://hooks.example.com/${c}`,
      target_secret: null,
      status,
      created_at: createdAt,
      delivered_at: status === 'delivered' ? rng.after(createdAt, 3_000) : null,
      attempt_count: status === 'dead_letter' ? 10 : status === 'delivered' ? 1 : 0,
      next_attempt_at: createdAt,
      last_error: status === 'dead_letter' || status === 'rejected' ? 'HTTP 500' : null,
      locked_at: null,
    };
  }
}

export const workQueueSeeders: TableSeeder[] = [
  { table: 'hook_outbox', after: ['sessions'], rows: hookOutbox },
  { table: 'inbound_queue', after: ['sessions'], rows: inboundQueue },
  { table: 'operations', after: ['sessions'], rows: operations },
  { table: 'webhook_contracts', rows: webhookContracts },
  { table: 'webhook_outbox', after: ['webhook_contracts'], rows: webhookOutbox },
];
