import { sessionCreatedAt } from './foundation-seeders.js';
import { AGENTS, DAY_MS, IdKind, PROJECTS, type SeedContext, type TableSeeder } from './seed-plan.js';

function* pendingDeletions(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 0; i < ctx.sessions; i += 2) {
    yield {
      session_id: ctx.sessionId(i),
      message_id: String(50_000 + i),
      deletion_type: ctx.rng.chance(0.7) ? 'user_input' : 'feedback',
      created_at: sessionCreatedAt(ctx, i),
    };
  }
}

function* agentAvailability(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const until = new Date(ctx.now.getTime() + 3_600_000);
  yield { agent: 'claude', available: true, unavailable_until: null, degraded_until: null, reason: null };
  yield { agent: 'gemini', available: false, unavailable_until: until, degraded_until: null, reason: 'quota_exhausted' };
  yield { agent: 'codex', available: true, unavailable_until: null, degraded_until: until, reason: 'degraded:slow' };
}

function* sessionListeners(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 1; i < ctx.sessions; i += 10) {
    yield {
      target_session_id: ctx.sessionId(i),
      caller_session_id: ctx.sessionId(i - 1),
      caller_tmux_session: `tc_${(i - 1).toString(36)}`,
      registered_at: sessionCreatedAt(ctx, i),
    };
  }
}

const LINK_EVERY = 20;

function* conversationLinks(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 0; i + 2 < ctx.sessions; i += LINK_EVERY) {
    const createdAt = sessionCreatedAt(ctx, i);
    const closed = ctx.rng.chance(0.6);
    yield {
      link_id: ctx.id(IdKind.Link, i),
      mode: i % 3 === 0 ? 'gathering_link' : 'direct_link',
      status: closed ? 'closed' : 'active',
      created_by_session_id: ctx.sessionId(i),
      metadata: { topic: ctx.rng.words(3) },
      created_at: createdAt,
      updated_at: createdAt,
      closed_at: closed ? ctx.rng.after(createdAt, DAY_MS) : null,
    };
  }
}

function* conversationLinkMembers(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 0; i + 2 < ctx.sessions; i += LINK_EVERY) {
    const members = i % 3 === 0 ? 3 : 2;
    for (let m = 0; m < members; m++) {
      yield {
        link_id: ctx.id(IdKind.Link, i),
        session_id: ctx.sessionId(i + m),
        participant_name: `${ctx.agentOf(i + m)}-${m + 1}`,
        participant_number: m + 1,
        participant_role: m === 0 ? 'initiator' : 'peer',
        computer_name: ctx.computerOf(i + m),
        joined_at: sessionCreatedAt(ctx, i + m),
      };
    }
  }
}

function* sessionTokens(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 0; i < ctx.sessions; i += 2) {
    const issuedAt = sessionCreatedAt(ctx, i);
    yield {
      token: ctx.id(IdKind.Token, i),
      session_id: ctx.sessionId(i),
      principal: `system:${ctx.computerOf(i)}`,
      role: ctx.rng.pick(['worker', 'orchestrator']),
      issued_at: issuedAt,
      expires_at: new Date(issuedAt.getTime() + DAY_MS),
      revoked_at: ctx.rng.chance(0.1) ? ctx.rng.after(issuedAt, DAY_MS) : null,
    };
  }
}

const OBSERVATION_TYPES = ['preference', 'decision', 'discovery', 'gotcha', 'pattern', 'friction', 'context'] as const;

function* memoryObservations(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i += 4) {
    yield {
      memory_session_id: ctx.id(IdKind.MemorySession, i),
      project: ctx.projectOf(i),
      type: rng.pick(OBSERVATION_TYPES),
      title: rng.words(5),
      subtitle: rng.chance(0.5) ? rng.words(6) : null,
      facts: [rng.words(8), rng.words(8)],
      narrative: rng.words(30),
      concepts: [rng.words(1), rng.words(1)],
      files_read: [`src/${rng.words(1)}.ts`],
      files_modified: rng.chance(0.5) ? [`src/${rng.words(1)}.ts`] : [],
      prompt_number: rng.int(1, 40),
      discovery_tokens: rng.int(0, 5000),
      identity_key: rng.chance(0.2) ? `user:${i % 4}` : null,
      created_at: sessionCreatedAt(ctx, i),
    };
  }
}

function* memorySummaries(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i += 10) {
    yield {
      memory_session_id: ctx.id(IdKind.MemorySession, i),
      project: ctx.projectOf(i),
      request: rng.words(10),
      investigated: rng.words(15),
      learned: rng.words(15),
      completed: rng.words(10),
      next_steps: rng.words(10),
      created_at: sessionCreatedAt(ctx, i),
    };
  }
}

function* memoryManualSessions(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (const [p, project] of PROJECTS.entries()) {
    yield { memory_session_id: ctx.id(IdKind.MemorySession, ctx.sessions + p), project, created_at: ctx.now };
  }
}

function* mirrors(ctx: SeedContext): Iterable<Record<string, unknown>> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.sessions; i += 4) {
    const start = sessionCreatedAt(ctx, i);
    const agent = ctx.agentOf(i);
    yield {
      session_id: ctx.sessionId(i),
      source_identity: `${agent}:${ctx.id(IdKind.NativeSession, i)}`,
      computer: ctx.computerOf(i),
      agent,
      project: ctx.projectOf(i),
      title: rng.words(6),
      timestamp_start: start,
      timestamp_end: rng.after(start, DAY_MS / 6),
      conversation_text: `user: ${rng.words(20)}\nassistant: ${rng.words(40)}`,
      message_count: rng.int(2, 200),
      metadata: { model: `${agent}-latest` },
      created_at: start,
      updated_at: start,
    };
  }
}

function* mirrorTombstones(ctx: SeedContext): Iterable<Record<string, unknown>> {
  for (let i = 2; i < ctx.sessions; i += 50) {
    const agent = AGENTS[i % AGENTS.length]!;
    yield {
      source_identity: `${agent}:deleted-${ctx.id(IdKind.Mirror, i)}`,
      agent,
      transcript_path: `/home/dev/.${agent}/deleted/${i}.jsonl`,
      file_size: ctx.rng.int(1_000, 5_000_000),
      // Nanoseconds, as `str(st_mtime_ns)`: below the millisecond too.
      file_mtime_ns: `${sessionCreatedAt(ctx, i).getTime()}${String((i * 7919) % 1_000_000).padStart(6, '0')}`,
      created_at: sessionCreatedAt(ctx, i),
    };
  }
}

export const domainSeeders: TableSeeder[] = [
  { table: 'pending_message_deletions', after: ['sessions'], rows: pendingDeletions },
  { table: 'agent_availability', rows: agentAvailability },
  { table: 'session_listeners', after: ['sessions'], rows: sessionListeners },
  { table: 'conversation_links', after: ['sessions'], rows: conversationLinks },
  { table: 'conversation_link_members', after: ['conversation_links', 'sessions'], rows: conversationLinkMembers },
  { table: 'session_tokens', after: ['sessions'], rows: sessionTokens },
  { table: 'memory_observations', rows: memoryObservations },
  { table: 'memory_summaries', rows: memorySummaries },
  { table: 'memory_manual_sessions', rows: memoryManualSessions },
  { table: 'mirrors', after: ['sessions'], rows: mirrors },
  { table: 'mirror_tombstones', rows: mirrorTombstones },
];
